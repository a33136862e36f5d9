from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

from tipline.publishing.views import public as publishing_views

handler400 = "tipline.http_privacy.bad_request"
handler404 = "tipline.http_privacy.page_not_found"

urlpatterns = [
    path("", publishing_views.home, name="home"),
    path("", include("tipline.intake.urls")),
    path("", include("tipline.portal.urls")),
    path("", include("tipline.rewards.urls")),
    path("staff/", include("tipline.accounts.urls")),
    path("console/", include("tipline.cases.urls")),
    path("calls/", include("tipline.calls.urls")),
    path("editor/", include("tipline.publishing.editor_urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("", include("tipline.publishing.urls")),
]
