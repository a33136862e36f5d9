"""Forms built from a questionnaire version's schema (the web form and the call-taker's screen)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any, cast

from django import forms
from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext, gettext_noop, override
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from tipline.crypto import receipt as receipts
from tipline.crypto.errors import MalformedReceipt
from tipline.local_text import site_language
from tipline.register.models import FieldType
from tipline.register.texts import has_fallback, localize_schema

REPLACEMENT_CHARACTER = "\ufffd"


class NoEchoTextInput(forms.TextInput):
    """A text box that never sends back what was typed in it: a wrong receipt, a code or
    bank details are not written into the page again (where a browser cache or a
    screenshot would keep them)."""

    def format_value(self, value: Any) -> str | None:
        return None


# Django's label suffix ("Your receipt:"), listed in this catalogue so that Chinese writes
# it full width (U+FF1A): Django's own catalogue leaves it half width.
LABEL_SUFFIX = gettext_noop(":")


def check_receipt_shape(text: str) -> None:
    """A :class:`ValidationError` that says what is wrong when ``text`` does not have the
    shape of a receipt (16 digits; spaces and dashes do not matter). Only the shape, which
    is public: whether it opens a report is for the receipt check to say, with one message
    for every receipt that does not (and no derivation is spent on a misshapen one)."""
    try:
        receipts.normalise_receipt(text)
    except MalformedReceipt:
        typed = receipts.without_separators(text)
        if not (typed.isascii() and typed.isdigit()):
            raise forms.ValidationError(
                _("A receipt has only the digits 0 to 9; spaces and dashes between them do not matter."),
                code="receipt_characters",
            ) from None
        raise forms.ValidationError(
            _("A receipt has 16 digits, and this has %(count)d. Check them and type them again."),
            code="receipt_length",
            params={"count": len(typed)},
        ) from None


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class _FocusOnFirstChoice(forms.widgets.ChoiceWidget):
    """A group of choices given ``autofocus`` puts it on its first choice only: a page has one."""

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option: dict[str, Any] = super().create_option(*args, **kwargs)
        if option["index"] not in {"0", "0_0"}:  # "0_0": the first choice of the first group
            option["attrs"].pop("autofocus", None)
        return option


class FocusableRadioSelect(_FocusOnFirstChoice, forms.RadioSelect):
    pass


class FocusableCheckboxSelectMultiple(_FocusOnFirstChoice, forms.CheckboxSelectMultiple):
    pass


def _text_field(question: dict[str, Any], *, long: bool) -> forms.Field:
    limit = min(question.get("max_length") or settings.TIPLINE_MAX_ANSWER_CHARS, settings.TIPLINE_MAX_ANSWER_CHARS)
    widget = forms.Textarea(attrs={"rows": 8}) if long else forms.TextInput()
    return forms.CharField(max_length=limit, widget=widget, strip=True)


def _yes_no(language: str | None) -> list[tuple[str, StrOrPromise]]:
    """The choices of a yes/no question in ``language``, the language its question is shown in
    (when not given, the active one as the page is shown: the reporter's on the web form)."""
    if language is None:
        return [("yes", _("Yes")), ("no", _("No"))]
    with override(site_language(language)):  # as localize_question picks it
        return [("yes", gettext("Yes")), ("no", gettext("No"))]


def _field_for(question: dict[str, Any], *, language: str | None = None) -> forms.Field | None:
    kind = question["type"]
    # The value stored is the default language's choice; the label is in the reader's language.
    choices = list(
        zip(question.get("choices", []), question.get("choice_labels") or question.get("choices", []), strict=False)
    )
    field: forms.Field
    if kind == FieldType.SHORT_TEXT:
        field = _text_field(question, long=False)
    elif kind == FieldType.LONG_TEXT:
        field = _text_field(question, long=True)
    elif kind == FieldType.SINGLE_CHOICE:
        field = forms.ChoiceField(choices=choices, widget=FocusableRadioSelect)
    elif kind == FieldType.MULTIPLE_CHOICE:
        field = forms.MultipleChoiceField(choices=choices, widget=FocusableCheckboxSelectMultiple)
    elif kind == FieldType.DATE:
        field = forms.DateField(
            widget=forms.DateInput(attrs={"type": "date", "placeholder": "YYYY-MM-DD"}),
            input_formats=["%Y-%m-%d"],
            error_messages={"invalid": _("Enter the date as year-month-day, for example 2026-03-31.")},
        )
    elif kind == FieldType.YES_NO:
        field = forms.ChoiceField(choices=_yes_no(language), widget=FocusableRadioSelect)
    else:
        return None
    field.label = question["label"]
    field.help_text = question.get("help", "")
    field.required = bool(question.get("required"))
    return field


FORM_TOKEN_BYTES = 16
FORM_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{22,64}")


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

    # The questionnaire version the page was made from: a form sent after the questions
    # changed is shown again rather than stored against questions the reporter never saw.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # A random token of this page, so that the page sent twice (a double click without
    # JavaScript) is recognised; only a digest of it is stored with the report.
    form_token = forms.CharField(widget=forms.HiddenInput(attrs={"autocomplete": "off"}), required=False)

    def __init__(
        self,
        *args: Any,
        schema: list[dict[str, Any]],
        version: int,
        file_counts: dict[str, int] | None = None,
        identity_allowed: bool = True,
        language: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # The questions in the reader's language (the active one unless given).
        schema = localize_schema(schema, language)
        self.initial.setdefault("version", version)
        self.initial.setdefault("form_token", secrets.token_urlsafe(FORM_TOKEN_BYTES))
        self.fields["form_token"].validators.clear()  # a foreign token (even with a NUL) is ignored in clean
        self.schema = schema
        self.untranslated = has_fallback(schema)
        self.expected_version = version
        self.file_counts = file_counts or {}
        self.file_questions = [q for q in schema if q["type"] == FieldType.FILE]
        identity = self.fields.pop("identity")
        for question in schema:
            field = _field_for(question, language=language)
            if field is not None:
                # Answers are not kept in the browser's form history (a shared computer).
                field.widget.attrs.setdefault("autocomplete", "off")
                self.fields[f"q_{question['key']}"] = field
        self.identity_allowed = identity_allowed
        if identity_allowed:
            identity.widget.attrs["autocomplete"] = "off"
            self.fields["identity"] = identity

    def clean_form_token(self) -> str:
        """A token that is not one this site makes is ignored, not an error."""
        token = str(self.cleaned_data.get("form_token") or "")
        return token if FORM_TOKEN_PATTERN.fullmatch(token) else ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, value in cleaned.items():
            texts = value if isinstance(value, list) else [value]
            if any(isinstance(t, str) and REPLACEMENT_CHARACTER in t for t in texts):
                self.add_error(name, _("This text could not be read (it is not valid UTF-8). Please retype it."))
        sent_version = cleaned.get("version")  # absent from hand-made requests: taken as the current one
        if self.is_bound and sent_version is not None and sent_version != self.expected_version:
            data = cast("QueryDict", self.data).copy()  # the page shown again is for the current questions
            data["version"] = str(self.expected_version)
            self.data = data
            raise forms.ValidationError(
                _("The questions of this form changed while you were answering. Check your answers and send again."),
                code="questionnaire_changed",
            )
        if self.is_bound and not self.identity_allowed and str(self.data.get("identity", "")).strip():
            raise forms.ValidationError(
                _(
                    "Nobody can receive an identity on this channel just now, so it was not sent. "
                    "Send the report without it, or come back later."
                ),
                code="identity_unavailable",
            )
        for question in self.file_questions:
            if question.get("required") and not self.file_counts.get(question["key"]):
                self.add_error(
                    None,
                    forms.ValidationError(
                        _("Attach at least one file for “%(question)s”."),
                        code="file_required",
                        params={"question": question["label"], "key": question["key"]},  # key: the summary's link
                    ),
                )
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
