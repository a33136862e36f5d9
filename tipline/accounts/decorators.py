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

PRIVATE_KEY_SECRET = "staff_private_key"
STAFF_SEEN = "staff_seen"
_SEEN = STAFF_SEEN


def staff_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Require a logged-in staff member whose session is not idle; pass the unlocked key."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        seen = request.session.get(_SEEN, 0)
        if not request.user.is_authenticated or time.time() - seen > settings.TIPLINE_STAFF_IDLE_SECONDS:
            if request.user.is_authenticated:
                auth_logout(request)
                session_vault.close_vault(request)
                flash.info(request, _("Your session ended after a period without activity. Log in again."))
            return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.path})}")
        request.session[_SEEN] = time.time()
        private_key = session_vault.get_secret(request, PRIVATE_KEY_SECRET)
        return view(request, private_key, *args, **kwargs)

    return wrapper
