from __future__ import annotations

from django.urls import path

from tipline.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login, name="login"),
    path("login/code/", views.verify, name="verify"),
    path("logout/", views.logout, name="logout"),
    path("two-factor/set-up/", views.enrol, name="enrol"),
    path("two-factor/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("two-factor/recovery-codes/new/", views.new_recovery_codes, name="new_recovery_codes"),
    path("account/", views.security, name="security"),
    path("account/password/", views.change_password, name="password"),
    path("escrow/restore-access/", views.restore_access, name="restore_access"),
    path("escrow/grant/", views.grant_escrow, name="grant_escrow"),
]
