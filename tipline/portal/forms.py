"""Forms of the reporter's portal: the receipt log-in, a reply, decisions on held files."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tipline.register.forms import NoEchoTextInput, check_receipt_shape


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        label=_("Your receipt"),
        help_text=_("The 16 digits you were given when you sent your report. Spaces do not matter."),
        max_length=40,
        widget=NoEchoTextInput(attrs={"autocomplete": "off", "inputmode": "numeric", "spellcheck": "false"}),
        validators=[check_receipt_shape],
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 6})
    )


HELD_CHOICES = [("send", _("Send as it is")), ("drop", _("Do not send"))]


class HeldFilesForm(forms.Form):
    """The reporter's decisions on held files: ``decision_<id>`` = send or drop, for any
    number of the report's held files at once (one button per file in the portal, one
    choice per file and a single button on the receipt page)."""

    def __init__(self, data: Any = None, *, held_ids: Iterable[int]) -> None:
        super().__init__(data)
        for pk in held_ids:
            self.fields[f"decision_{pk}"] = forms.ChoiceField(
                choices=HELD_CHOICES, required=False, widget=forms.RadioSelect
            )

    def decisions(self) -> dict[str, list[int]]:
        """Ids to send and ids to drop; only the files a decision was given for."""
        chosen: dict[str, list[int]] = {"send": [], "drop": []}
        for name, value in self.cleaned_data.items():
            if value:
                chosen[value].append(int(name.removeprefix("decision_")))
        return chosen


class TranscriptForm(forms.Form):
    """Whether what was written down during a call or meeting is right, or the right text."""

    decision = forms.ChoiceField(
        label=_("Is this what you said?"),
        choices=[("confirm", _("Yes, it is right")), ("correct", _("No, here is the right text"))],
        widget=forms.RadioSelect,
    )
    correction = forms.CharField(
        label=_("Your correction (only if it is not right)"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6, "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, original: str, letter: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.original = original.strip()
        if letter:  # the question as the page asks it of a letter's writer
            self.fields["decision"].label = _("Is this right?")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        decision, correction = cleaned.get("decision"), str(cleaned.get("correction") or "").strip()
        if decision == "correct" and not correction:
            self.add_error("correction", _("Write the right text, or choose that it is right."))
        elif decision == "correct" and _same(correction, self.original):
            self.add_error(
                "correction", _("The text is as it was written down: change it, or choose “Yes, it is right”.")
            )
        elif decision == "confirm" and correction and not _same(correction, self.original):
            # The box starts with the text written down: a changed box is a correction.
            self.add_error(
                "decision",
                _("You changed the text: choose “No, here is the right text” to send your correction."),
            )
        return cleaned


def _same(first: str, second: str) -> bool:
    """The same text, whatever the line ends and the spaces around it (a browser sends CRLF)."""
    return first.replace("\r\n", "\n").strip() == second.replace("\r\n", "\n").strip()
