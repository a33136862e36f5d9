from __future__ import annotations

from django.urls import path

from tipline.calls import views

app_name = "calls"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/<slug:slug>/", views.take, name="take"),
    path("receipt/", views.receipt, name="receipt"),
    path("add/", views.add, name="add"),
]
