"""Secrets held in a session without resting in clear anywhere on the server.

A secret (a staff member's private key, a report key unlocked by a receipt)
is encrypted under a random key that lives only in the visitor's cookie;
the server-side session keeps only the ciphertext. Neither half alone
reveals anything, and deleting the session or the cookie locks it again.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from django.conf import settings
from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import get_random_string

from tipline.crypto import boxes
from tipline.crypto.errors import DecryptionFailed
from tipline.typed_request import typed

COOKIE_NAME = "tipline_vault"
_SESSION_PREFIX = "vault:"


class SessionStore(db.SessionStore):
    """Django's database sessions (``SESSION_ENGINE = "tipline.session_vault"``), without
    the query that asks whether a new random key is already taken: ``create`` inserts
    with ``must_create`` and draws again on the (practically impossible) collision, so
    the question cost a query on every submission and log-in for nothing."""

    def _get_new_session_key(self) -> str:
        return get_random_string(32, VALID_KEY_CHARS)

    async def _aget_new_session_key(self) -> str:
        return self._get_new_session_key()


class SessionVaultMiddleware:
    """Reads the vault cookie and sets a new one when a view created a vault key."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        typed(request).vault_key = _read_cookie(request)
        typed(request).vault_key_changed = False
        response = self.get_response(request)
        if typed(request).vault_key_changed:
            key: bytes | None = typed(request).vault_key
            if key is None:
                response.delete_cookie(COOKIE_NAME, samesite="Strict")
            else:
                response.set_cookie(
                    COOKIE_NAME,
                    base64.urlsafe_b64encode(key).decode(),
                    secure=settings.TIPLINE_SECURE_COOKIES,
                    httponly=True,
                    samesite="Strict",
                )
        return response


def _read_cookie(request: HttpRequest) -> bytes | None:
    raw = request.COOKIES.get(COOKIE_NAME, "")
    try:
        key = base64.urlsafe_b64decode(raw.encode())
    except (binascii.Error, ValueError):
        return None
    return key if len(key) == boxes.KEY_BYTES else None


def open_vault(request: HttpRequest) -> bytes:
    """Start a fresh vault (at log-in): a new session id and a new cookie key."""
    if request.session.session_key is not None:
        request.session.cycle_key()  # else the session gets its first id when it is saved
    else:
        request.session.modified = True
    for name in [k for k in request.session.keys() if k.startswith(_SESSION_PREFIX)]:  # noqa: SIM118 - sessions are not iterable
        del request.session[name]
    key = boxes.new_key()
    typed(request).vault_key = key
    typed(request).vault_key_changed = True
    return key


def close_vault(request: HttpRequest) -> None:
    """Forget every secret: flush the session and delete the cookie."""
    request.session.flush()
    typed(request).vault_key = None
    typed(request).vault_key_changed = True


def seal(request: HttpRequest, secret: bytes, *, context: bytes | None = None) -> bytes:
    """``secret`` encrypted under this visitor's cookie key (a vault is opened if there is
    none), for a row kept outside the session: only this cookie opens it again, and only
    with the same ``context`` (the row it is kept in)."""
    key: bytes | None = getattr(request, "vault_key", None)
    if key is None:
        key = open_vault(request)
    return boxes.encrypt(key, secret, context=context)


def unseal(request: HttpRequest, sealed: bytes, *, context: bytes | None = None) -> bytes | None:
    """What :func:`seal` encrypted, or None without this visitor's cookie key."""
    key = getattr(request, "vault_key", None)
    if key is None:
        return None
    try:
        return boxes.decrypt(key, sealed, context=context)
    except (DecryptionFailed, ValueError):
        return None


def put_secret(request: HttpRequest, name: str, secret: bytes) -> None:
    request.session[_SESSION_PREFIX + name] = base64.b64encode(seal(request, secret)).decode()


def get_secret(request: HttpRequest, name: str) -> bytes | None:
    stored = request.session.get(_SESSION_PREFIX + name)
    if not stored:
        return None
    try:
        return unseal(request, base64.b64decode(stored))
    except (binascii.Error, ValueError):
        return None


def pop_secret(request: HttpRequest, name: str) -> bytes | None:
    secret = get_secret(request, name)
    request.session.pop(_SESSION_PREFIX + name, None)
    return secret


def forget_expired_sessions() -> int:
    """Delete sessions past their expiry (Django never does by itself); returns how many.
    A reporter's expired session holds only its half of a vault, useless without the
    cookie, but nothing is kept longer than it serves."""
    from django.contrib.sessions.models import Session  # noqa: PLC0415 - needs the app registry
    from django.utils import timezone  # noqa: PLC0415

    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
