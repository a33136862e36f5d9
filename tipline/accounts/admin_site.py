"""The Django admin behind the same log-in as the staff pages (password, then two-factor).

Installed through ``tipline.accounts.admin_apps.StaffAdminConfig`` in
``INSTALLED_APPS`` instead of ``django.contrib.admin``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from tipline.accounts import two_factor
from tipline.accounts.decorators import session_alive


class StaffAdminSite(admin.AdminSite):
    """Only verified sessions that are not idle pass; the admin's own log-in form is never shown."""

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and session_alive(request) and not two_factor.is_pending(request)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        del extra_context
        target = request.GET.get("next") or reverse("admin:index")
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")
