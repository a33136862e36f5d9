from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from tipline.accounts.models import LoginThrottle, RoleGrant, StaffUser


class RoleGrantInline(admin.TabularInline[RoleGrant, StaffUser]):
    model = RoleGrant
    extra = 0


@admin.register(StaffUser)
class StaffUserAdmin(admin.ModelAdmin[StaffUser]):
    """Staff are created with `tipline createstaff` (their key pair needs the password);
    here an admin edits names, roles and whether the account is active."""

    list_display = ["username", "display_name", "email", "is_active"]
    fields = ["username", "display_name", "email", "is_active", "password_must_change", "last_login"]
    readonly_fields = ["username", "password_must_change", "last_login"]
    inlines = [RoleGrantInline]

    def has_add_permission(self, request: object) -> bool:
        return False


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
