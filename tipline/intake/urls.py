from __future__ import annotations

from django.urls import path

from tipline import url_converters  # noqa: F401 - registers row_id
from tipline.intake import views

app_name = "intake"
urlpatterns = [
    path("report/", views.home, name="channels"),
    path("report/<slug:slug>/", views.submit, name="submit"),
    path("receipt/", views.receipt, name="receipt"),
    path("portal/", views.login, name="login"),
    path("portal/report/", views.portal, name="portal"),
    path("portal/held/", views.decide_held, name="held"),
    path("portal/files/<row_id:attachment_id>/", views.download, name="download"),
    path("portal/logout/", views.logout, name="logout"),
]
