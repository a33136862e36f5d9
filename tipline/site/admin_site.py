"""The Django admin behind the same log-in as the staff pages (password, then two-factor).

Installed through ``tipline.site.admin_apps.StaffAdminConfig`` in
``INSTALLED_APPS`` instead of ``django.contrib.admin``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tipline.accounts import two_factor
from tipline.accounts.decorators import session_alive
from tipline.accounts.landing import landing
from tipline.jobs.models import Job, JobState


class StaffAdminSite(admin.AdminSite):
    """Only verified sessions that are not idle pass; the admin's own log-in form is never shown."""

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and session_alive(request) and not two_factor.is_pending(request)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        del extra_context
        if request.user.is_authenticated and session_alive(request) and not two_factor.is_pending(request):
            # Logged in whole, without the admin in their role: logging in again would only
            # come back here. Said plainly instead.
            return render(request, "admin_not_in_role.html", {"work": landing(request.user)}, status=403)
        target = request.GET.get("next") or reverse("admin:index")
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': target})}")

    def index(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> TemplateResponse:
        """The admin's front page, with a warning while background jobs have given up
        (an e-mail not sent, a purge not done) so they are not found only in the log."""
        if self.is_registered(Job) and (dead := Job.objects.filter(state=JobState.DEAD).count()):
            url = reverse(f"{self.name}:jobs_job_changelist") + "?" + urlencode({"state__exact": JobState.DEAD})
            text = ngettext(
                "%(count)d background job has given up after its retries.",
                "%(count)d background jobs have given up after their retries.",
                dead,
            ) % {"count": dead}
            messages.warning(request, format_html('{} <a href="{}">{}</a>', text, url, _("See them")))
        return super().index(request, extra_context)
