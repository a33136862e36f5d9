"""Forms built from a questionnaire version's schema."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from tipline.intake.models import FieldType

REPLACEMENT_CHARACTER = "\ufffd"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


def _text_field(question: dict[str, Any], *, long: bool) -> forms.Field:
    limit = min(question.get("max_length") or settings.TIPLINE_MAX_ANSWER_CHARS, settings.TIPLINE_MAX_ANSWER_CHARS)
    widget = forms.Textarea(attrs={"rows": 8}) if long else forms.TextInput()
    return forms.CharField(max_length=limit, widget=widget, strip=True)


def _field_for(question: dict[str, Any]) -> forms.Field | None:
    kind = question["type"]
    choices = [(c, c) for c in question.get("choices", [])]
    field: forms.Field
    if kind == FieldType.SHORT_TEXT:
        field = _text_field(question, long=False)
    elif kind == FieldType.LONG_TEXT:
        field = _text_field(question, long=True)
    elif kind == FieldType.SINGLE_CHOICE:
        field = forms.ChoiceField(choices=choices, widget=forms.RadioSelect)
    elif kind == FieldType.MULTIPLE_CHOICE:
        field = forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple)
    elif kind == FieldType.DATE:
        field = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), input_formats=["%Y-%m-%d"])
    elif kind == FieldType.YES_NO:
        field = forms.ChoiceField(choices=[("yes", _("Yes")), ("no", _("No"))], widget=forms.RadioSelect)
    else:
        return None
    field.label = question["label"]
    field.help_text = question.get("help", "")
    field.required = bool(question.get("required"))
    return field


class ReportForm(forms.Form):
    """The answers of one questionnaire version, plus the optional identity."""

    identity = forms.CharField(
        label=_("Who you are (optional)"),
        help_text=_(
            "Only if you wish: your name and how to reach you. It is encrypted separately and "
            "shown to a handler only after a supervisor approves a written request."
        ),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, schema: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = schema
        self.file_questions = [q for q in schema if q["type"] == FieldType.FILE]
        identity = self.fields.pop("identity")
        for question in schema:
            field = _field_for(question)
            if field is not None:
                self.fields[f"q_{question['key']}"] = field
        self.fields["identity"] = identity

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, value in cleaned.items():
            texts = value if isinstance(value, list) else [value]
            if any(isinstance(t, str) and REPLACEMENT_CHARACTER in t for t in texts):
                self.add_error(name, _("This text could not be read (it is not valid UTF-8). Please retype it."))
        return cleaned

    def answers(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for question in self.schema:
            value = self.cleaned_data.get(f"q_{question['key']}")
            if isinstance(value, dt.date):
                value = value.isoformat()
            if value not in (None, "", []):
                result[question["key"]] = value
        return result


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        label=_("Your receipt"),
        help_text=_("The 16 digits you were given when you sent your report. Spaces do not matter."),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"}),
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 6})
    )


class HeldFilesForm(forms.Form):
    decision = forms.ChoiceField(choices=[("send", _("Send as it is")), ("drop", _("Do not send"))])
    attachment = forms.IntegerField(min_value=1)
