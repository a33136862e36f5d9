"""Keep what identifies a visitor out of logs, storage and third parties.

Reporters must leave no trace: the client address, user agent and referrer
are removed from every request before any view, logger or error report can
see them. Rate limiting uses an in-memory tag instead: an HMAC of the address
under a random key that lives only in this process and changes every day.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import threading
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.template.loader import render_to_string

_IDENTIFYING_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
    "HTTP_CLIENT_IP",
    "HTTP_TRUE_CLIENT_IP",
    "HTTP_CF_CONNECTING_IP",
    "HTTP_USER_AGENT",
    "HTTP_REFERER",
    "HTTP_VIA",
)

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), interest-cohort=(), browsing-topics=()"


class _DailyKey:
    """A random HMAC key held in memory and replaced at each new UTC day."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._day: dt.date | None = None
        self._key = b""

    def current(self) -> bytes:
        today = dt.datetime.now(dt.UTC).date()
        with self._lock:
            if today != self._day:
                self._day, self._key = today, secrets.token_bytes(32)
            return self._key


_daily_key = _DailyKey()


def client_tag(address: str) -> str:
    """An opaque, day-scoped tag for a client address; the address itself is not kept."""
    return hmac.new(_daily_key.current(), address.encode(), hashlib.sha256).hexdigest()[:32]


class ClientAddressScrubMiddleware:
    """First middleware: replace the client address by a tag, drop identifying headers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        address = request.META.get("REMOTE_ADDR", "")
        request.client_tag = client_tag(address)  # type: ignore[attr-defined]
        request.META["REMOTE_ADDR"] = "0.0.0.0"  # noqa: S104 - a placeholder, never an address we bind
        for header in _IDENTIFYING_HEADERS:
            request.META.pop(header, None)
        return self.get_response(request)


class PrivacyHeadersMiddleware:
    """Strict CSP everywhere; ``no-store`` unless a public view chose its own caching."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response


class DropRequestFilter(logging.Filter):
    """Remove the request object Django attaches to log records, so no handler prints it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "request"):
            record.request = None
        return True


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form that was not sent from this site, or sent after the page expired."""
    del reason  # technical detail, not for the visitor
    return HttpResponseForbidden(render_to_string("csrf_failure.html", request=request))


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 page, in the visitor's language and with a next step."""
    del exception
    return HttpResponseBadRequest(render_to_string("400.html", request=request))
