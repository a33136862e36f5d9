"""Access checks for staff views."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth import logout as auth_logout
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from tipline import session_vault
from tipline.accounts import two_factor
from tipline.accounts.models import StaffUser

PRIVATE_KEY_SECRET = "staff_private_key"
STAFF_SEEN = "staff_seen"
_SEEN = STAFF_SEEN

View = Callable[..., HttpResponseBase]
# Activity is noted in the session at most this often (or a thirtieth of the idle limit,
# if that is shorter): noting it on every request wrote the session row on every page.
# A session may so end up to this much before the idle limit, never after it.
SEEN_STEP_SECONDS = 60.0


def _to(url_name: str, next_path: str) -> HttpResponseBase:
    return redirect(f"{reverse(url_name)}?{urlencode({'next': next_path})}")


def session_alive(request: HttpRequest) -> bool:
    """Logged in and not idle (and marked as seen); an idle session is ended here, with its vault."""
    seen = request.session.get(_SEEN, 0)
    idle = settings.TIPLINE_STAFF_IDLE_SECONDS
    now = time.time()
    if request.user.is_authenticated and now - seen <= idle:
        if now - seen >= min(SEEN_STEP_SECONDS, idle / 30):
            request.session[_SEEN] = now
        return True
    if request.user.is_authenticated:
        auth_logout(request)
        session_vault.close_vault(request)
        flash.info(request, _("Your session ended after a period without activity. Log in again."))
    return False


def second_step_url(user: StaffUser) -> str:
    """Where a staff member who passed the password step goes next: the code, or enrolment."""
    return "accounts:verify" if two_factor.has_authenticator(user) else "accounts:enrol"


def _gate(view: View, *, allow_password_due: bool) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not session_alive(request):
            return _to("accounts:login", request.path)
        user = request.user
        assert isinstance(user, StaffUser)  # noqa: S101 - the auth model
        if two_factor.is_pending(request):
            return _to(second_step_url(user), request.path)
        if user.password_must_change and not allow_password_due:
            flash.info(request, _("Choose a new password to replace the temporary one."))
            return _to("accounts:password", request.path)
        private_key = session_vault.get_secret(request, PRIVATE_KEY_SECRET)
        return view(request, private_key, *args, **kwargs)

    return wrapper


def staff_required(view: View) -> View:
    """Require a fully logged-in staff member (password, and the second step where it applies)
    whose session is not idle; pass the unlocked private key (or None) after the request."""
    return _gate(view, allow_password_due=False)


def staff_required_password_due(view: View) -> View:
    """Like :func:`staff_required`, but also open while a temporary password awaits its change."""
    return _gate(view, allow_password_due=True)


def password_step_done(view: View) -> View:
    """For the second step itself: logged in with a password, not idle; passes the user."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not session_alive(request):
            return _to("accounts:login", request.GET.get("next", ""))
        assert isinstance(request.user, StaffUser)  # noqa: S101 - the auth model
        return view(request, request.user, *args, **kwargs)

    return wrapper
