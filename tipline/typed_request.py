"""The attributes Tipline's middleware adds to a request, typed in one place.

Django's ``HttpRequest`` knows nothing of them; reading and writing them through
:func:`typed` keeps mypy's checks (no ``type: ignore`` on a misspelt attribute).
"""

from __future__ import annotations

from typing import Any, cast

from django.http import HttpRequest


class TiplineRequest(HttpRequest):
    # A keyed, daily-rotating tag of the client's address for rate limits (never the address).
    client_tag: str
    # The key of the session vault, from the cookie (tipline.session_vault).
    vault_key: bytes | None
    vault_key_changed: bool
    # A refusal met while reading the body's files (tipline.register.uploads), and the one
    # passed on to a view that shows the form again with it (tipline.register.errors).
    upload_error: Exception | None
    upload_refusal: Exception | None
    # Set while the static export renders a page (tipline.publishing.export).
    publishing_export: Any


def typed(request: HttpRequest) -> TiplineRequest:
    """The same request, seen with Tipline's attributes."""
    return cast(TiplineRequest, request)


def client_tag(request: HttpRequest) -> str:
    """The rate-limit tag set by :class:`tipline.http_privacy.ClientAddressScrubMiddleware`."""
    return typed(request).client_tag
