from __future__ import annotations

from django.urls import path

from tipline.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("reports/<str:reference>/", views.detail, name="detail"),
    path("files/<int:attachment_id>/", views.download, name="download"),
]
