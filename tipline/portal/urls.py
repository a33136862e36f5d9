from __future__ import annotations

from django.urls import path

from tipline import url_converters  # noqa: F401 - registers row_id
from tipline.portal import views

app_name = "portal"
urlpatterns = [
    path("portal/", views.login, name="login"),
    path("portal/report/", views.portal, name="report"),
    path("portal/held/", views.decide_held, name="held"),
    path("portal/transcripts/<row_id:transcript_id>/", views.decide_transcript, name="transcript"),
    path("portal/meeting/", views.request_meeting, name="meeting"),
    path("portal/files/<row_id:attachment_id>/", views.download, name="download"),
    path("portal/logout/", views.logout, name="logout"),
    path("portal/leave/", views.leave, name="leave"),
]
