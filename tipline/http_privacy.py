"""Keep what identifies a visitor out of logs, storage and third parties.

Reporters must leave no trace: the client address, user agent and any referrer
from another site are removed from every request before any view, logger or
error report can see them. Rate limiting uses a tag instead: an HMAC of the address under a
key of the day, derived from the secret key (so every process and machine makes the same
tag) and never stored.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import logging
import re
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, HttpResponseNotFound
from django.template.loader import render_to_string
from django.views.debug import SafeExceptionReporterFilter

from tipline.typed_request import typed

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


def client_tag(address: str) -> str:
    """An opaque, day-scoped tag for a client address; the address itself is not kept.

    An IPv6 client is tagged by its /64 network: one subscriber usually holds a whole
    /64 and could otherwise take a fresh allowance with every address in it. The key
    changes every UTC day; it is derived from the secret key, so every process on every
    machine gives a client the same tag (the allowances in ``tipline.limits`` are shared),
    and it is never stored: a copy of the database cannot tell whose tag is whose.
    """
    name = address if ":" not in address else _without_port_or_host_bits(address)  # plain IPv4: as it is
    return hmac.new(_day_key(int(time.time() // 86400)), name.encode(), hashlib.sha256).hexdigest()[:32]


@functools.lru_cache(maxsize=2)
def _day_key(day: int) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), f"tipline client tag {day}".encode(), hashlib.sha256).digest()


def _without_port_or_host_bits(address: str) -> str:
    """``192.0.2.1:5678`` → ``192.0.2.1``; ``[2001:db8::1]:443`` and ``2001:db8::1`` → ``2001:db8::/64``;
    an IPv4-mapped IPv6 address → the IPv4 address."""
    if address.startswith("[") and "]" in address:  # as some proxies pass it
        address = address[1 : address.index("]")]
    elif address.count(":") == 1:
        address = address.split(":", 1)[0]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.ip_network(f"{parsed}/64", strict=False)) if parsed.version == 6 else str(parsed)


def _meta_key(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")


class ClientAddressScrubMiddleware:
    """First middleware: replace the client address by a tag, drop identifying headers.

    Behind a reverse proxy every connection comes from the proxy, so all visitors would
    share one tag (and one rate-limit allowance). With ``TIPLINE_CLIENT_ADDRESS_HEADER``
    the address is taken from that header, only on connections from
    ``TIPLINE_TRUSTED_PROXIES``; it is used for the tag and dropped like the rest.
    A same-origin Referer is kept: Django's CSRF check needs it for HTTPS forms sent
    without an Origin header (text browsers), and it names only one of our own pages.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        header = settings.TIPLINE_CLIENT_ADDRESS_HEADER
        self.address_header = _meta_key(header) if header else ""
        self.trusted_proxies = frozenset(settings.TIPLINE_TRUSTED_PROXIES)

    def _address(self, request: HttpRequest) -> str:
        address = str(request.META.get("REMOTE_ADDR", ""))
        if self.address_header and address in self.trusted_proxies:
            # The proxy sets the header to the address it saw; the last entry of a list is its own.
            forwarded = str(request.META.get(self.address_header, "")).rsplit(",", 1)[-1].strip()
            if forwarded:
                return forwarded
        return address

    def __call__(self, request: HttpRequest) -> HttpResponse:
        typed(request).client_tag = client_tag(self._address(request))
        request.META["REMOTE_ADDR"] = "0.0.0.0"  # noqa: S104 - a placeholder, never an address we bind
        referer = request.META.get("HTTP_REFERER", "")
        for header in _IDENTIFYING_HEADERS:
            request.META.pop(header, None)
        if self.address_header:
            request.META.pop(self.address_header, None)
        if referer and _same_origin(referer, request):
            request.META["HTTP_REFERER"] = referer
        return self.get_response(request)


def _same_origin(url: str, request: HttpRequest) -> bool:
    try:
        parts = urlsplit(url)
        host = request.get_host()
    except (ValueError, KeyError, DisallowedHost):  # no usable Host: nothing to compare with
        return False
    return parts.scheme == request.scheme and parts.netloc == host and not parts.username and not parts.password


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


class SecretHidingFilter(SafeExceptionReporterFilter):
    """Django's filter, hiding also the pepper and the settings that carry credentials
    (database and storage addresses), whatever DEBUG says."""

    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|PEPPER|DATABASE|STORAGE|DSN|SMTP|EMAIL_HOST",
        flags=re.IGNORECASE,
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form that was not sent from this site, or sent after the page expired."""
    del reason  # technical detail, not for the visitor
    return HttpResponseForbidden(render_to_string("csrf_failure.html", request=request))


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 page, in the visitor's language and with a next step."""
    del exception
    return HttpResponseBadRequest(render_to_string("400.html", request=request))


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 404 page, without Django's ``requires_csrf_token`` wrapper: that wrapper checks the
    CSRF token of a POST, reading its body, so a malformed body sent to an unknown address
    (broken multipart, too many fields) raised while the 404 was being made and became a 500.
    The token for the page's own forms comes from the middleware as on any page."""
    del exception
    return HttpResponseNotFound(render_to_string("404.html", request=request))
