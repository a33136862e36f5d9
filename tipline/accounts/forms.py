"""Staff account forms: log-in, second step, enrolment, password, escrow."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.utils.translation import gettext_lazy as _

from tipline.accounts.models import StaffUser


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


def _code_widget() -> forms.TextInput:
    return forms.TextInput(
        attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false", "autocapitalize": "off"}
    )


class CodeForm(forms.Form):
    """The second step: a code from the authenticator app, or (in its own form) a recovery code."""

    code = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=20,
        required=False,
        help_text=_("The 6-digit code the app shows now."),
        widget=_code_widget(),
    )
    recovery_code = forms.CharField(
        label=_("Recovery code"),
        max_length=40,
        required=False,
        help_text=_("One of the codes you saved when you set up two-factor log-in. Each works once."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "off"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("code") and not data.get("recovery_code"):
            raise forms.ValidationError(_("Type a code."), code="required")
        return data

    def given_code(self) -> str:
        return str(self.cleaned_data.get("code") or self.cleaned_data.get("recovery_code") or "")


class EnrolForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=20,
        help_text=_("After adding the account, type the 6-digit code the app shows."),
        widget=_code_widget(),
    )


class _NewPasswordMixin(forms.Form):
    new_password = forms.CharField(
        label=_("New password"),
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label=_("New password again"),
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password"].help_text = password_validators_help_text_html()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", _("The two new passwords differ."))
        return data


class PasswordChangeForm(_NewPasswordMixin):
    current_password = forms.CharField(
        label=_("Current password"),
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["current_password", "new_password", "new_password_again"]


class _StaffNameField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=150, widget=forms.TextInput(attrs={"autocomplete": "off"}), **kwargs)

    def clean(self, value: Any) -> StaffUser:
        name = super().clean(value)
        user = StaffUser.objects.filter(username=name).first()
        if user is None:
            raise forms.ValidationError(_("No staff member has this username."), code="unknown")
        return user


class RestoreAccessForm(_NewPasswordMixin):
    user = _StaffNameField(label=_("Username of the staff member"))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        help_text=_("Why access is restored, for the audit trail (for example, how the person was identified)."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reset_two_factor = forms.BooleanField(
        label=_("Also remove their authenticator and recovery codes (they set up a new one at the next log-in)"),
        required=False,
    )
    field_order = ["user", "reason", "new_password", "new_password_again", "reset_two_factor"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password"].label = _("Temporary password")
        self.fields["new_password_again"].label = _("Temporary password again")


class GrantEscrowForm(forms.Form):
    user = _StaffNameField(label=_("Username of the other administrator"))
    make_admin = forms.BooleanField(
        label=_("Also make them an administrator"),
        required=False,
        help_text=_(
            "For an active staff member with a key pair who is not an administrator yet: "
            "they receive the administrator role and the escrow key together."
        ),
    )
