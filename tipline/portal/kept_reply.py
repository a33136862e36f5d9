"""A reply the reporter was typing when their session passed its idle time, kept for
their next log-in without ever resting in clear.

When the reply is sent after the idle time, the report key can still be read from the
session vault with the reporter's cookie (only the idle check refuses it). The text is
encrypted under a key derived from the report key, and that ciphertext is put, with the
report's id and the time, into a *fresh* session vault (encrypted once more under a new
random key that lives only in the reporter's cookie); the old session is flushed as any
expired one. After a log-in with the receipt, which opens the report key again, the text
is decrypted and offered in the reply box. So the text comes back only to the same browser
(the cookie) *and* the same report (the receipt); the server alone holds neither key, and
staff, who hold report keys, never see the session's cookie key. It is dropped after
``TIPLINE_KEPT_REPLY_HOURS``, at log-out, or when the session ends.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from tipline import session_vault
from tipline.crypto import boxes
from tipline.crypto.errors import DecryptionFailed
from tipline.register.models import Report
from tipline.register.reporter_session import expired_key

_KEPT = "kept-reply"  # sealed, waiting for the next log-in
_DRAFT = "reply-draft"  # opened again after the log-in, for the reply box
_HEADER = struct.Struct(">QQ")  # report id, time kept
MAX_CHARS = 20000


def _draft_key(report_key: bytes, report_id: int) -> bytes:
    return boxes.derive_key(report_key, purpose=b"kept-reply", subject=report_id.to_bytes(8, "big"))


def _context(report_id: int) -> bytes:
    return b"kept-reply:" + report_id.to_bytes(8, "big")


def keep_on_expiry(*, request: HttpRequest, text: str) -> bool:
    """Seal ``text`` for the next log-in if this session has just expired; whether it did."""
    found = expired_key(request)
    text = text.strip()[:MAX_CHARS]
    if found is None or not text:
        return False
    report_id, report_key = found
    sealed = boxes.encrypt(_draft_key(report_key, report_id), text.encode(), context=_context(report_id))
    session_vault.close_vault(request)  # the expired session goes, as at any expiry
    session_vault.put_secret(request, _KEPT, _HEADER.pack(report_id, int(time.time())) + sealed)
    return True


def take_kept(*, request: HttpRequest, report: Report, report_key: bytes) -> str:
    """The text kept for this report in this browser, removed from the session ("" if none,
    too old, or kept for another report)."""
    secret = session_vault.pop_secret(request, _KEPT)
    if secret is None or len(secret) <= _HEADER.size:
        return ""
    report_id, kept_at = _HEADER.unpack(secret[: _HEADER.size])
    if report_id != report.pk or time.time() - kept_at > settings.TIPLINE_KEPT_REPLY_HOURS * 3600:
        return ""
    try:
        return boxes.decrypt(
            _draft_key(report_key, report_id), secret[_HEADER.size :], context=_context(report_id)
        ).decode()
    except (DecryptionFailed, UnicodeDecodeError):
        return ""


def offer_draft(*, request: HttpRequest, text: str) -> None:
    """After the log-in: the text waits in the new session's vault for the reply box."""
    if text:
        session_vault.put_secret(request, _DRAFT, text.encode())


def take_draft(request: HttpRequest) -> str:
    secret = session_vault.pop_secret(request, _DRAFT)
    return secret.decode(errors="replace") if secret else ""


def keeps_reply_on_expiry(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A reply sent after the idle time goes to the log-in page with its text kept."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method == "POST" and keep_on_expiry(request=request, text=str(request.POST.get("body", ""))):
            flash.info(
                request,
                _(
                    "For your safety you were logged out after a while without activity. Your message "
                    "was not sent, but it is kept: log in again with your receipt and it will be back in "
                    "the reply box. Files must be chosen again."
                ),
            )
            return redirect(settings.TIPLINE_REPORTER_LOGIN)
        return view(request, *args, **kwargs)

    return wrapper
