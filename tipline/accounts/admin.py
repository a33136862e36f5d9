from __future__ import annotations

from django.contrib import admin

from tipline.accounts.models import RoleGrant, StaffUser


class RoleGrantInline(admin.TabularInline[RoleGrant, StaffUser]):
    model = RoleGrant
    extra = 0


@admin.register(StaffUser)
class StaffUserAdmin(admin.ModelAdmin[StaffUser]):
    """Staff are created with `tipline createstaff` (their key pair needs the password);
    here an admin edits names, roles and whether the account is active."""

    list_display = ["username", "display_name", "email", "is_active"]
    fields = ["username", "display_name", "email", "is_active", "last_login"]
    readonly_fields = ["username", "last_login"]
    inlines = [RoleGrantInline]

    def has_add_permission(self, request: object) -> bool:
        return False
