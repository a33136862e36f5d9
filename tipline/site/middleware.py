"""Site-wide middleware: the request body checked before anything reads it, the
language of each page, and a page for an address opened with the wrong method."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import REASON_NO_CSRF_COOKIE
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.shortcuts import render

from tipline.http_privacy import csrf_failure
from tipline.register.errors import SHOWS_REFUSALS, error_response, read_post
from tipline.register.exceptions import ReporterError, TooLargeToRead
from tipline.typed_request import typed

# Room for the form fields and multipart framing beside the files.
_OVERHEAD = 2 * 1024 * 1024


class RequestBodyMiddleware:
    """Check and parse every POST body before CSRF and views see it.

    A POST that cannot pass the CSRF check whatever its body says (no CSRF cookie, or
    sent from another origin) is refused first, before a byte of its body is read
    (403, as the CSRF check would). A body larger than every limit together is
    refused before a byte is read (413); a malformed, oversized or over-counted body gets a clear page with a
    fitting status instead of Django's generic 400. A view marked with
    :func:`shows_upload_refusals` gets a file-limit refusal as
    ``request.upload_refusal`` instead, with the fields read before it, so it can
    show the person's form again with the message.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: object, view_kwargs: object
    ) -> HttpResponse | None:
        if request.method != "POST":
            return None
        if not getattr(view_func, "csrf_exempt", False) and not self._may_pass_csrf(request):
            return csrf_failure(request, reason=REASON_NO_CSRF_COOKIE)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.TIPLINE_MAX_TOTAL_SIZE + _OVERHEAD:
            # Not read, so the form cannot come back filled in: the page leads back to it.
            back = request.path if getattr(view_func, SHOWS_REFUSALS, False) else ""
            return error_response(request, TooLargeToRead(settings.TIPLINE_MAX_TOTAL_SIZE), back=back)
        try:
            read_post(request)
        except ReporterError as error:
            if error.keeps_form and getattr(view_func, SHOWS_REFUSALS, False):
                typed(request).upload_refusal = error
                return None
            return error_response(request, error)
        return None

    def _may_pass_csrf(self, request: HttpRequest) -> bool:
        """What the CSRF check can refuse without the body: a missing cookie, a foreign Origin."""
        if settings.CSRF_COOKIE_NAME not in request.COOKIES:
            return False
        origin = request.META.get("HTTP_ORIGIN")
        if origin is None or any("*" in trusted for trusted in settings.CSRF_TRUSTED_ORIGINS):
            return True  # the CSRF check decides, after the body
        own = f"{'https' if request.is_secure() else 'http'}://{request.get_host()}"
        return origin == own or origin in settings.CSRF_TRUSTED_ORIGINS


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's, except that a public page keeps no ``Vary: Accept-Language``.

    Such a page takes its language from its address alone (see
    ``tipline.publishing.caching.public_page``, which marks the response), so one copy
    serves every reader; the ``Vary`` would split every shared cache by each browser's
    language list for nothing.
    """

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if getattr(response, "language_from_address", False):
            return response
        return super().process_response(request, response)


class MethodNotAllowedPage:
    """A page, not an empty answer, for an address opened in a way it does not take: a
    form's destination opened again by a link or the address bar (405, ``Allow`` kept)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.status_code != 405 or request.method not in {"GET", "HEAD"}:
            return response
        if getattr(response, "streaming", False) or response.content:  # type: ignore[attr-defined]
            return response
        page = render(request, "405.html", status=405)
        if "Allow" in response:
            page["Allow"] = response["Allow"]
        return page
