"""The call-taker's forms: a new report taken during a call (or from a letter, or in a
meeting), and a message added to a report whose receipt the caller gives."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from tipline.register.forms import (
    FORM_TOKEN_BYTES,
    FORM_TOKEN_PATTERN,
    FocusableRadioSelect,
    NoEchoTextInput,
    ReportForm,
    check_receipt_shape,
)
from tipline.register.models import ChannelKind

CONSENT_CHOICES = [("yes", _("Yes, the caller agreed to a recording")), ("no", _("No recording"))]
MEETING_CONSENT_CHOICES = [("yes", _("Yes, the reporter agreed to a recording")), ("no", _("No recording"))]
READ_BACK_CHOICES = [
    ("portal", _("Not read back: the reporter checks it in the portal with the receipt")),
    ("confirmed", _("Read back to the reporter, who confirmed it")),
]
SPOKEN_KINDS = frozenset({ChannelKind.PHONE, ChannelKind.MEETING})
# The call-taker's fields after the questionnaire's, in the order of the page (take.html).
_AFTER_QUESTIONS = ("recording_consent", "transcript", "read_back", "media_is_evidence", "identity", "callback")


def _consent_field(
    *,
    required: bool,
    choices: Sequence[tuple[str, StrOrPromise]],
    help_text: StrOrPromise,
    label: StrOrPromise | None = None,
) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label or _("Did the reporter agree to a recording?"),
        choices=choices,
        widget=FocusableRadioSelect,
        required=required,
        help_text=help_text,
    )


def _refuse_recording_without_yes(
    form: forms.Form, has_recording: bool, consent: object, message: StrOrPromise
) -> None:
    if has_recording and consent != "yes":
        form.add_error("recording_consent", message)


def _evidence_field() -> forms.BooleanField:
    return forms.BooleanField(
        label=_("The sound or video among these papers is evidence handed over, not a recording of this conversation"),
        required=False,
        help_text=_("Only if the papers hold sound or video. A recording of this conversation needs the yes above."),
    )


def _refuse_media_without_yes_or_evidence(form: forms.Form, media_in_papers: bool, consent: object) -> None:
    """Sound or video among the papers is a recording of this conversation (kept only on a
    yes) unless the call-taker says it is evidence handed over."""
    if media_in_papers and consent != "yes" and not form.cleaned_data.get("media_is_evidence"):
        form.add_error(
            "media_is_evidence",
            _(
                "There is sound or video among the papers. Tick this box if it is evidence handed over; if it "
                "records this conversation, it is kept only with the reporter's yes to a recording."
            ),
        )


class TakenReportForm(ReportForm):
    """The channel's questionnaire, then what only a call-taker records.

    A call or meeting is documented (art. 18): by a recording, with the reporter's yes, or
    else by the call-taker's transcript or minutes, which the reporter confirms: read back
    there and then, or later in the portal.
    """

    def __init__(
        self, *args: Any, kind: str, has_recording: bool = False, media_in_papers: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.has_recording = has_recording
        self.media_in_papers = media_in_papers
        if "identity" in self.fields:
            self.fields["identity"].label = _("The reporter's name (only if they give it)")
            self.fields["identity"].help_text = _(
                "Encrypted separately; a handler sees it only after a supervisor approves a written request."
            )
        if kind in SPOKEN_KINDS:
            self.fields["recording_consent"] = _consent_field(
                required=True,
                choices=MEETING_CONSENT_CHOICES if kind == ChannelKind.MEETING else CONSENT_CHOICES,
                label=None if kind == ChannelKind.MEETING else _("Did the caller agree to a recording?"),
                help_text=_("Ask before you record. Without a yes, write a transcript or minutes instead."),
            )
        self.fields["transcript"] = forms.CharField(
            label=_("Transcript or minutes") if kind != ChannelKind.POST else _("Notes on the letter"),
            required=False,
            max_length=20000,
            widget=forms.Textarea(attrs={"rows": 8, "autocomplete": "off"}),
            help_text=_(
                "Without a recording, write down what was said: the reporter is asked to confirm or correct it."
            )
            if kind != ChannelKind.POST
            else _(
                "What the letter says, or what you noted about it (how it came, what was with it). The writer "
                "can read it in the portal once they have the receipt."
            ),
        )
        if kind in SPOKEN_KINDS:
            self.fields["read_back"] = forms.ChoiceField(
                label=_("Was the transcript or minutes read back to the reporter?"),
                choices=READ_BACK_CHOICES,
                initial="portal",
                required=False,  # not said: the reporter checks it in the portal
                widget=FocusableRadioSelect,
                help_text=_("If they corrected something while you read, change the text above before you store it."),
            )
        if kind == ChannelKind.MEETING:  # papers handed over
            self.fields["media_is_evidence"] = _evidence_field()
        if kind == ChannelKind.PHONE:
            self.fields["callback"] = forms.CharField(
                label=_("Number to call back (only if the caller asks to be called back)"),
                required=False,
                max_length=40,
                widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
                help_text=_("Sealed with the identity: supervisors only. Never write the caller's number otherwise."),
            )
        # In the order of the page, so that the focus (and a refused send's summary) follows it.
        self.order_fields([*(name for name in self.fields if name.startswith("q_")), *_AFTER_QUESTIONS])
        if not self.is_bound:  # keyboard first: the first field of the page (a question, else the consent)
            first = next((field for field in self.visible_fields()), None)
            if first is not None:
                first.field.widget.attrs["autofocus"] = True

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("callback", "").strip() and not self.identity_allowed:
            self.add_error("callback", _("Nobody can receive an identity just now; the number cannot be kept."))
        if self.kind in SPOKEN_KINDS:
            _refuse_recording_without_yes(
                self,
                self.has_recording,
                cleaned.get("recording_consent"),
                _(
                    "A recording is kept only with the reporter's yes. Choose “Yes” if they agreed, or send it "
                    "without the recording and write the minutes instead."
                ),
            )
            _refuse_media_without_yes_or_evidence(self, self.media_in_papers, cleaned.get("recording_consent"))
            if not self.has_recording and not str(cleaned.get("transcript") or "").strip():
                self.add_error(
                    "transcript",
                    _(
                        "Without a recording, write down what the reporter said: the transcript or minutes are "
                        "how the report is documented, and the reporter is asked to confirm them."
                    ),
                )
        return cleaned

    def read_back_confirmed(self) -> bool:
        """The transcript was read back during the call and the reporter confirmed it."""
        return self.cleaned_data.get("read_back") == "confirmed"

    def identity_text(self) -> str:
        """The name and the number to call back, sealed together as the reporter's identity."""
        parts = [str(self.cleaned_data.get("identity") or "").strip()]
        if number := str(self.cleaned_data.get("callback") or "").strip():
            parts.append(str(_("Call back on: %(number)s")) % {"number": number})
        return "\n".join(part for part in parts if part)

    def consent(self) -> bool | None:
        value = self.cleaned_data.get("recording_consent")
        return None if value is None else value == "yes"


class AddToReportForm(forms.Form):
    """A caller's words added to their report by receipt, with a recording only on their yes."""

    receipt = forms.CharField(
        label=_("The caller's receipt (16 digits)"),
        max_length=64,
        # Never written back into the page, as in the portal: even a wrong one can be one digit
        # away from a real receipt (the page says to ask for it again).
        widget=NoEchoTextInput(attrs={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"}),
        validators=[check_receipt_shape],
    )
    body = forms.CharField(
        label=_("What the caller says"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8, "autocomplete": "off"}),
        help_text=_("Added to the report as the caller's message. You will not see anything else in the report."),
    )
    recording_consent = _consent_field(
        required=False,
        choices=CONSENT_CHOICES,
        help_text=_(
            "Ask before you record. Without a yes, attach no recording: what you write above is their message."
        ),
        label=_("Did the caller agree to a recording?"),
    )

    media_is_evidence = _evidence_field()
    # A random token of this page: a page adds its message once (see calls.claims).
    form_token = forms.CharField(widget=forms.HiddenInput(attrs={"autocomplete": "off"}), required=False)

    def __init__(self, *args: Any, has_recording: bool = False, media_in_papers: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.has_recording = has_recording
        self.media_in_papers = media_in_papers
        self.initial.setdefault("form_token", secrets.token_urlsafe(FORM_TOKEN_BYTES))

    def clean_form_token(self) -> str:
        """The page's token; a request without one of this site's (made by hand, not from the
        screen) gets a token of its own, so it is added once like any page."""
        token = str(self.cleaned_data.get("form_token") or "")
        return token if FORM_TOKEN_PATTERN.fullmatch(token) else secrets.token_urlsafe(FORM_TOKEN_BYTES)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        _refuse_recording_without_yes(
            self,
            self.has_recording,
            cleaned.get("recording_consent"),
            _(
                "A recording is kept only with the caller's yes. Choose “Yes” if they agreed, or add their "
                "message without the recording."
            ),
        )
        _refuse_media_without_yes_or_evidence(self, self.media_in_papers, cleaned.get("recording_consent"))
        return cleaned

    def consent(self) -> bool | None:
        value = self.cleaned_data.get("recording_consent")
        return None if not value else value == "yes"
