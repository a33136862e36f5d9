"""The admin's app config, kept apart from the site so that loading it imports no models."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "tipline.site.admin_site.StaffAdminSite"
