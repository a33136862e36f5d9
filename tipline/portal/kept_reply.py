"""A reply the reporter was typing when their session passed its idle time (or their
correction of what was written down during a call), kept for their next log-in without
ever resting in clear.

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

Each kept text has its *place*: ``REPLY`` (0), the reply box, or a transcript's id, the
correction box of that transcript.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from tipline import session_vault
from tipline.crypto import boxes
from tipline.crypto.errors import DecryptionFailed
from tipline.register.models import Report
from tipline.register.reporter_session import expired_key

_KEPT = "kept-reply"  # sealed, waiting for the next log-in
_DRAFT = "reply-draft"  # opened again after the log-in, for the reply box
_HEADER = struct.Struct(">QQQ")  # report id, time kept, place
_PLACE = struct.Struct(">Q")
MAX_CHARS = 20000
REPLY = 0  # the place of the reply box; a transcript's correction box is at its id


def _draft_key(report_key: bytes, report_id: int) -> bytes:
    return boxes.derive_key(report_key, purpose=b"kept-reply", subject=report_id.to_bytes(8, "big"))


@dataclass(frozen=True)
class Kept:
    text: str
    place: int = REPLY


def _context(report_id: int, place: int) -> bytes:
    return b"kept-reply:" + report_id.to_bytes(8, "big") + _PLACE.pack(place)


def keep_on_expiry(*, request: HttpRequest, text: str, place: int = REPLY) -> bool:
    """Seal ``text`` for the next log-in if this session has just expired; whether it did."""
    found = expired_key(request)
    text = text.strip()[:MAX_CHARS]
    if found is None or not text:
        return False
    report_id, report_key = found
    sealed = boxes.encrypt(_draft_key(report_key, report_id), text.encode(), context=_context(report_id, place))
    session_vault.close_vault(request)  # the expired session goes, as at any expiry
    session_vault.put_secret(request, _KEPT, _HEADER.pack(report_id, int(time.time()), place) + sealed)
    return True


def take_kept(*, request: HttpRequest, report: Report, report_key: bytes) -> Kept | None:
    """The text kept for this report in this browser, removed from the session (None if
    none, too old, or kept for another report)."""
    secret = session_vault.pop_secret(request, _KEPT)
    if secret is None or len(secret) <= _HEADER.size:
        return None
    report_id, kept_at, place = _HEADER.unpack(secret[: _HEADER.size])
    if report_id != report.pk or time.time() - kept_at > settings.TIPLINE_KEPT_REPLY_HOURS * 3600:
        return None
    try:
        text = boxes.decrypt(
            _draft_key(report_key, report_id), secret[_HEADER.size :], context=_context(report_id, place)
        ).decode()
    except (DecryptionFailed, UnicodeDecodeError):
        return None
    return Kept(text=text, place=place)


def offer_draft(*, request: HttpRequest, kept: Kept | None) -> None:
    """After the log-in: the text waits in the new session's vault for its box."""
    if kept is not None and kept.text:
        session_vault.put_secret(request, _DRAFT, _PLACE.pack(kept.place) + kept.text.encode())


def take_draft(request: HttpRequest) -> Kept | None:
    secret = session_vault.pop_secret(request, _DRAFT)
    if not secret or len(secret) <= _PLACE.size:
        return None
    (place,) = _PLACE.unpack(secret[: _PLACE.size])
    return Kept(text=secret[_PLACE.size :].decode(errors="replace"), place=place)


def _keeps_on_expiry(
    *, text_of: Callable[[HttpRequest], str], place_of: Callable[[dict[str, Any]], int], message: str
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.method == "POST" and keep_on_expiry(
                request=request, text=text_of(request), place=place_of(kwargs)
            ):
                flash.info(request, _(message))
                return redirect(settings.TIPLINE_REPORTER_LOGIN)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


# A reply sent after the idle time goes to the log-in page with its text kept.
keeps_reply_on_expiry = _keeps_on_expiry(
    text_of=lambda request: str(request.POST.get("body", "")),
    place_of=lambda kwargs: REPLY,
    message=gettext_noop(
        "For your safety you were logged out after a while without activity. Your message "
        "was not sent, but it is kept: log in again with your receipt and it will be back in "
        "the reply box. Files must be chosen again."
    ),
)

# So does a correction of what was written down during a call or a meeting.
keeps_correction_on_expiry = _keeps_on_expiry(
    text_of=lambda request: (
        str(request.POST.get("correction", "")) if request.POST.get("decision") == "correct" else ""
    ),
    place_of=lambda kwargs: int(kwargs["transcript_id"]),
    message=gettext_noop(
        "For your safety you were logged out after a while without activity. Your correction "
        "was not sent, but it is kept: log in again with your receipt and it will be back in "
        "its box."
    ),
)
