"""Forms of rewards, commendations and proofs (staff and reporters)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tipline.register.forms import NoEchoTextInput
from tipline.rewards.models import PayoutMethod


class ProposeForm(forms.Form):
    amount = forms.IntegerField(label=_("Amount"), min_value=1, max_value=10**9)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        help_text=_("Why the report deserves it, for the approvers. Leave out names and details of the report."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RefuseForm(forms.Form):
    reason = forms.CharField(label=_("Reason for refusing"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class PaymentForm(forms.Form):
    reference = forms.CharField(label=_("Payment reference"), max_length=100)
    paid_on = forms.DateField(label=_("Date paid (YYYY-MM-DD)"), widget=forms.DateInput(attrs={"type": "date"}))


class CashDeskForm(forms.Form):
    code = forms.CharField(
        label=_("Claim code"),
        max_length=80,
        widget=NoEchoTextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    pin = forms.CharField(
        label=_("PIN"), max_length=12, widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"})
    )
    reference = forms.CharField(label=_("Receipt number of the cash payment"), max_length=100)


class ClaimForm(forms.Form):
    method = forms.ChoiceField(label=_("How do you want to receive it?"), widget=forms.RadioSelect)
    bank_details = forms.CharField(
        label=_("Bank details (account holder, IBAN or account number, bank)"),
        required=False,
        max_length=500,
        help_text=_(
            "Only for a bank transfer. Sealed so that only reward officers can read them; destroyed once paid."
        ),
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}),
    )
    pin = forms.CharField(
        label=_("Choose a PIN of 6 to 12 digits"),
        required=False,
        min_length=6,
        max_length=12,
        help_text=_("Only for cash collection. You will need it with the claim code at the desk."),
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    cause = forms.ChoiceField(label=_("Cause"), required=False)

    def __init__(self, data: Any = None, *, methods: list[str], causes: list[str], prefix: str | None = None) -> None:
        super().__init__(data, prefix=prefix)
        labels = dict(PayoutMethod.choices)
        self.fields["method"].choices = [(m, labels[m]) for m in methods]  # type: ignore[attr-defined]
        self.fields["cause"].choices = [("", "—"), *((c, c) for c in causes)]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        method = cleaned.get("method")
        if method == PayoutMethod.BANK and not str(cleaned.get("bank_details", "")).strip():
            self.add_error("bank_details", _("Type your bank details for a transfer."))
        if method == PayoutMethod.CASH and not str(cleaned.get("pin", "")).isdigit():
            self.add_error("pin", _("Choose a PIN of 6 to 12 digits for cash collection."))
        if method == PayoutMethod.DONATION and not cleaned.get("cause"):
            self.add_error("cause", _("Choose the cause to donate to."))
        return cleaned


class CommendationConsentForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Do you accept the commendation?"),
        choices=[("accept", _("Yes, issue my certificate")), ("decline", _("No, thank you"))],
        widget=forms.RadioSelect,
    )
    alias = forms.CharField(
        label=_("Alias shown on the certificate and to whoever checks it (optional)"),
        required=False,
        max_length=60,
        help_text=_("Leave empty to show nothing but that the certificate is valid. Never use your real name."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    on_roll = forms.BooleanField(label=_("Also list my alias on the public roll of honour"), required=False)


class RetaliationForm(forms.Form):
    body = forms.CharField(
        label=_("What is happening (optional)"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Verification code"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class StatementForm(forms.Form):
    text = forms.CharField(
        label=_("Paste the statement"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 10})
    )
    file = forms.FileField(label=_("or upload the statement file"), required=False)
