"""URLs for testing :class:`StaffAdminSite`: the project's URLs plus that site at /staff-admin/."""

from __future__ import annotations

from django.urls import path

from tipline.site.admin_site import StaffAdminSite
from tipline.urls import urlpatterns as project_urlpatterns

site = StaffAdminSite(name="staff_admin")
urlpatterns = [*project_urlpatterns, path("staff-admin/", site.urls)]
