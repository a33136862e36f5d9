"""Staff log-in and log-out. Log-in unlocks the private key into the session vault."""

from __future__ import annotations

import time

from django import forms
from django.contrib import messages as flash
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from tipline import session_vault
from tipline.accounts import services
from tipline.accounts.decorators import PRIVATE_KEY_SECRET
from tipline.accounts.decorators import STAFF_SEEN as _SEEN
from tipline.accounts.exceptions import NoKeyPair, WrongPassword
from tipline.accounts.models import StaffUser


class LoginForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("Username"), max_length=150)
    password = forms.CharField(label=gettext_lazy("Password"), max_length=200, widget=forms.PasswordInput)


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        password = form.cleaned_data["password"]
        user = authenticate(request, username=form.cleaned_data["username"], password=password)
        if user is not None:
            assert isinstance(user, StaffUser)  # noqa: S101
            auth_login(request, user)
            session_vault.open_vault(request)
            try:
                private_key = services.unlock_private_key(user=user, password=password)
            except (NoKeyPair, WrongPassword):
                private_key = None
            if private_key is not None:
                session_vault.put_secret(request, PRIVATE_KEY_SECRET, private_key)
            request.session[_SEEN] = time.time()
            target = request.GET.get("next", "")
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = "cases:queue"
            return redirect(target)
        form.add_error(None, _("Username or password is wrong."))
    return render(request, "accounts/login.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    session_vault.close_vault(request)
    flash.info(request, _("You are logged out."))
    return redirect("accounts:login")
