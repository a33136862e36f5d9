"""The call-taker's forms: a new report taken during a call (or from a letter, or in a
meeting), and a message added to a report whose receipt the caller gives."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tipline.register.forms import NoEchoTextInput, ReportForm
from tipline.register.models import ChannelKind

CONSENT_CHOICES = [("yes", _("Yes, the caller agreed to a recording")), ("no", _("No recording"))]


class TakenReportForm(ReportForm):
    """The channel's questionnaire, then what only a call-taker records."""

    def __init__(self, *args: Any, kind: str, has_files: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.has_files = has_files
        if "identity" in self.fields:
            self.fields["identity"].label = _("The reporter's name (only if they give it)")
            self.fields["identity"].help_text = _(
                "Encrypted separately; a handler sees it only after a supervisor approves a written request."
            )
        if kind in {ChannelKind.PHONE, ChannelKind.MEETING}:
            self.fields["recording_consent"] = forms.ChoiceField(
                label=_("Did the reporter agree to a recording?"),
                choices=CONSENT_CHOICES,
                widget=forms.RadioSelect,
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
        if kind == ChannelKind.PHONE:
            self.fields["callback"] = forms.CharField(
                label=_("Number to call back (only if the caller asks to be called back)"),
                required=False,
                max_length=40,
                widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
                help_text=_("Sealed with the identity: supervisors only. Never write the caller's number otherwise."),
            )

        if not self.is_bound:  # keyboard first: the first question is where typing starts
            first = next((field for field in self.visible_fields()), None)
            if first is not None:
                first.field.widget.attrs["autofocus"] = True

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("callback", "").strip() and not self.identity_allowed:
            self.add_error("callback", _("Nobody can receive an identity just now; the number cannot be kept."))
        if self.has_files and cleaned.get("recording_consent") == "no":
            self.add_error(
                "recording_consent",
                _(
                    "A recording is kept only with the reporter's yes. Choose “Yes” if they agreed, or store the "
                    "report without the file and write the minutes instead."
                ),
            )
        return cleaned

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
    receipt = forms.CharField(
        label=_("The caller's receipt (16 digits)"),
        max_length=64,
        # Never written back into the page (after a refused file, say), as in the portal.
        widget=NoEchoTextInput(attrs={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"}),
    )
    body = forms.CharField(
        label=_("What the caller says"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8, "autocomplete": "off"}),
        help_text=_("Added to the report as the caller's message. You will not see anything else in the report."),
    )
