"""The list of what is wrong, first on a page that a refused send brings back: one entry
per problem, each linking to the field it is about (the GOV.UK error summary pattern)."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext

# A label that already ends in one of these ("What happened?") is followed by a space only.
# (The full-width ones are Chinese punctuation.)
_ENDS_A_LABEL = ("?", ":", "!", ".", "\uff1f", "\uff1a", "\uff01", "\u3002")


@dataclass(frozen=True)
class Problem:
    anchor: str  # the id of the element to go to, "" when the problem is about no one field
    label: str
    message: str

    @property
    def text(self) -> str:
        """The line of the summary: the field's label, then what is wrong."""
        if not self.label:
            return self.message
        label = self.label.rstrip()
        if label.endswith(_ENDS_A_LABEL):
            return f"{label} {self.message}"
        colon = gettext(":")  # full width, with no space after it, in Chinese
        return f"{label}: {self.message}" if colon == ":" else f"{label}{colon}{self.message}"


# Widgets whose label points to no single input: the link goes to the first choice.
_GROUPS = (forms.RadioSelect, forms.CheckboxSelectMultiple)


def _anchor(field: forms.BoundField) -> str:
    if not field.auto_id:
        return ""
    return f"{field.auto_id}_0" if isinstance(field.field.widget, _GROUPS) else str(field.auto_id)


def summarise(form: forms.Form, *, file_prefix: str = "f_") -> list[Problem]:
    """Every error of a bound form, in the order of the page. A form-wide error raised with
    ``params["key"]`` (a required file question) links to that question's file input."""
    problems: list[Problem] = []
    for error in form.non_field_errors().as_data():
        params = error.params if isinstance(error.params, dict) else {}
        key = params.get("key")
        for message in error.messages:
            problems.append(Problem(anchor=f"{file_prefix}{key}" if key else "", label="", message=message))
    for name in form.fields:  # in the order of the page, whichever check found the error
        errors = form.errors.get(name)
        if not errors:
            continue
        field = form[name]
        label = str(field.label or "")
        problems.extend(Problem(anchor=_anchor(field), label=label, message=str(message)) for message in errors)
    return problems
