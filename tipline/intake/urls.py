from __future__ import annotations

from django.urls import path

from tipline.intake import views

app_name = "intake"
urlpatterns = [
    path("report/", views.home, name="channels"),
    path("report/<slug:slug>/", views.submit, name="submit"),
    path("receipt/", views.receipt, name="receipt"),
]
