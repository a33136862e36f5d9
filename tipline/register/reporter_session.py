"""A reporter's unlocked report, kept in their session between requests.

The report key opened with the receipt is held in the session vault (encrypted under
a key that lives only in the reporter's cookie) together with the report's id, and
forgotten after ``TIPLINE_REPORTER_IDLE_SECONDS`` without a request. The web form
unlocks the report it has just stored; the portal unlocks it at log-in.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect

from tipline import session_vault
from tipline.register.errors import error_response
from tipline.register.exceptions import ReportDestroyed, SessionExpired
from tipline.register.models import Report

_REPORT_SECRET = "report"
_RECEIPT_SECRET = "receipt"
_SEEN = "reporter_seen"


def unlock(request: HttpRequest, *, report: Report, report_key: bytes) -> None:
    """Open the reporter's vault and keep the report key in it."""
    session_vault.open_vault(request)
    session_vault.put_secret(request, _REPORT_SECRET, report.pk.to_bytes(8, "big") + report_key)
    request.session[_SEEN] = time.time()


def keep_receipt(request: HttpRequest, *, receipt: str) -> None:
    """Keep a new report's receipt in the session vault (encrypted under the cookie's key),
    so a reload of the receipt page shows it again until the reporter confirms that they
    wrote it down (:func:`forget_receipt`) or the session ends (idle time, log-out)."""
    session_vault.put_secret(request, _RECEIPT_SECRET, receipt.encode())


def kept_receipt(request: HttpRequest) -> str | None:
    secret = session_vault.get_secret(request, _RECEIPT_SECRET)
    return secret.decode() if secret else None


def forget_receipt(request: HttpRequest) -> bool:
    """The reporter wrote the receipt down: it is not shown again. Whether one was kept."""
    return session_vault.pop_secret(request, _RECEIPT_SECRET) is not None


def expired_key(request: HttpRequest) -> tuple[int, bytes] | None:
    """The report id and key of a session that has just passed its idle time, still
    readable with the reporter's cookie (before :func:`unlocked` closes the vault), so a
    text the reporter was typing can be sealed for their next log-in; None otherwise."""
    secret = session_vault.get_secret(request, _REPORT_SECRET)
    seen = request.session.get(_SEEN, 0)
    if secret is None or time.time() - seen <= settings.TIPLINE_REPORTER_IDLE_SECONDS:
        return None
    return int.from_bytes(secret[:8], "big"), secret[8:]


def unlocked(request: HttpRequest) -> tuple[Report, bytes]:
    """The report and its key for this session; :class:`SessionExpired` or
    :class:`ReportDestroyed` (the vault is then closed)."""
    secret = session_vault.get_secret(request, _REPORT_SECRET)
    seen = request.session.get(_SEEN, 0)
    if secret is None:  # no report here: whatever else the vault keeps (a kept reply) stays
        raise SessionExpired
    if time.time() - seen > settings.TIPLINE_REPORTER_IDLE_SECONDS:
        session_vault.close_vault(request)
        raise SessionExpired
    report = Report.objects.filter(pk=int.from_bytes(secret[:8], "big")).select_related("channel").first()
    if report is None:
        session_vault.close_vault(request)
        raise SessionExpired
    if report.is_purged:  # destroyed under retention while the reporter was logged in
        session_vault.close_vault(request)
        raise ReportDestroyed
    request.session[_SEEN] = time.time()
    return report, secret[8:]


def reporter_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Give the view the unlocked report; send an expired session back to the log-in page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            report, report_key = unlocked(request)
        except SessionExpired as error:
            flash.info(request, error.user_message())
            response: HttpResponse = redirect(settings.TIPLINE_REPORTER_LOGIN)
            return response
        except ReportDestroyed as error:
            return error_response(request, error)
        return view(request, report, report_key, *args, **kwargs)

    return wrapper
