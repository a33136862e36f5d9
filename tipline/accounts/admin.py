from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import BaseInlineFormSet, ModelForm
from django.forms.formsets import DELETION_FIELD_NAME
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from tipline import session_vault
from tipline.accounts import services
from tipline.accounts.decorators import PRIVATE_KEY_SECRET
from tipline.accounts.exceptions import AdminNeedsEscrow, LastEscrowHolder, LastSupervisor, NoKeyPair
from tipline.accounts.models import EscrowGrant, LoginThrottle, Role, RoleGrant, StaffUser

_ROLE_ERRORS = {
    AdminNeedsEscrow: _(
        "An administrator must hold the organisation's escrow key, and this person does not. "
        "Make them an administrator on the page “Share the escrow key” (/staff/escrow/grant/), "
        "which gives the role and the key together."
    ),
    LastEscrowHolder: _(
        "No other active administrator holds the escrow key, so it would be lost with this role. "
        "Share the escrow key with another administrator first."
    ),
    NoKeyPair: _(
        "This person has no key pair, so they could never open a report: it is made from their "
        "password when an account is created for reading reports. Create their account with "
        "`tipline createstaff` and a handler or supervisor role instead."
    ),
    LastSupervisor: _(
        "This is the last active supervisor: nobody could assign reports, and no new supervisor "
        "could be given the reports' keys. Make someone else a supervisor first."
    ),
}
NEEDS_YOUR_ESCROW_KEY = _(
    "A new supervisor receives every report's key, opened with the escrow key. Your session "
    "does not hold it: log out and in again, as an administrator who holds the escrow key."
)


def _is_self(request: HttpRequest, user: StaffUser | None) -> bool:
    return user is not None and user.pk == request.user.pk


class RoleGrantFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """Refuses a set of roles that breaks the rules about the escrow key before anything is saved."""

    instance: StaffUser
    request: HttpRequest | None = None

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        after = frozenset(
            form.cleaned_data["role"]
            for form in self.forms
            if form.cleaned_data.get("role") and not form.cleaned_data.get(DELETION_FIELD_NAME)
        )
        before = self.instance.roles if self.instance.pk else frozenset()
        try:
            services.check_role_change(user=self.instance, before=before, after=after)
        except (AdminNeedsEscrow, LastEscrowHolder, NoKeyPair, LastSupervisor) as error:
            raise ValidationError(_ROLE_ERRORS[type(error)]) from None
        if Role.SUPERVISOR in after - before and not _holds_escrow_key(self.request):
            raise ValidationError(NEEDS_YOUR_ESCROW_KEY)


def _holds_escrow_key(request: HttpRequest | None) -> bool:
    """Whether the acting admin's session can open the escrow key (their private key is
    unlocked in it, and the escrow key is sealed to them)."""
    if request is None or not isinstance(request.user, StaffUser):
        return False
    unlocked = session_vault.get_secret(request, PRIVATE_KEY_SECRET) is not None
    return unlocked and EscrowGrant.objects.filter(user=request.user).exists()


class RoleGrantInline(admin.TabularInline[RoleGrant, StaffUser]):
    """Roles; read-only on one's own account (nobody grants or removes their own roles)."""

    model = RoleGrant
    formset = RoleGrantFormSet
    extra = 0

    def get_formset(self, request: HttpRequest, obj: StaffUser | None = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        # The formset checks the acting admin's escrow key, so it needs their request.
        return type(formset.__name__, (formset,), {"request": request})

    def has_add_permission(self, request: HttpRequest, obj: StaffUser | None = None) -> bool:
        return not _is_self(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: StaffUser | None = None) -> bool:  # type: ignore[override]
        return not _is_self(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: StaffUser | None = None) -> bool:  # type: ignore[override]
        return not _is_self(request, obj) and super().has_delete_permission(request, obj)


@admin.register(StaffUser)
class StaffUserAdmin(admin.ModelAdmin[StaffUser]):
    """Staff are created with `tipline createstaff` (their key pair needs the password);
    here an admin edits names, roles and whether the account is active.

    Access to this admin follows the ADMIN role; keys follow the roles (see
    :func:`tipline.accounts.services.settle_roles`). Role and activation changes
    are audited; nobody changes their own roles or active flag here.
    """

    list_display = ["username", "display_name", "email", "is_active"]
    fields = ["username", "display_name", "email", "is_active", "password_must_change", "last_login"]
    readonly_fields = ["username", "password_must_change", "last_login"]
    inlines = [RoleGrantInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: StaffUser | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "is_active"] if _is_self(request, obj) else fields

    def save_model(self, request: HttpRequest, obj: StaffUser, form: ModelForm[StaffUser], change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data:
            services.record_activation(user=obj, by=self._acting(request))

    def save_related(self, request: HttpRequest, form: ModelForm[StaffUser], formsets: Any, change: bool) -> None:
        """Save the role grants, then bring admin access and keys in line with them (one transaction)."""
        user = form.instance
        before = user.roles
        super().save_related(request, form, formsets, change)
        # The role formset checked the rules already; a refusal here rolls everything back.
        services.settle_roles(
            user=user,
            before=before,
            by=self._acting(request),
            admin_private_key=session_vault.get_secret(request, PRIVATE_KEY_SECRET),
        )

    @staticmethod
    def _acting(request: HttpRequest) -> StaffUser:
        assert isinstance(request.user, StaffUser)  # noqa: S101 - the admin site needs a staff log-in
        return request.user


@admin.register(LoginThrottle)
class LoginThrottleAdmin(admin.ModelAdmin[LoginThrottle]):
    """Current lock-outs; deleting a row unlocks the username at once."""

    list_display = ["__str__", "failures", "locked_until", "updated_at"]
    fields = ["user", "failures", "locked_until", "updated_at"]
    readonly_fields = ["user", "failures", "locked_until", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LoginThrottle | None = None) -> bool:
        return False
