from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from tipline.intake.errors import error_response, read_post
from tipline.intake.exceptions import AttachmentsTooLarge, IntakeError

# Room for the form fields and multipart framing beside the files.
_OVERHEAD = 2 * 1024 * 1024


class RequestBodyMiddleware:
    """Check and parse every POST body before CSRF and views see it.

    A body larger than every limit together is refused before a byte is read
    (413); a malformed, oversized or over-counted body gets a clear page with a
    fitting status instead of Django's generic 400.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.TIPLINE_MAX_TOTAL_SIZE + _OVERHEAD:
                return error_response(request, AttachmentsTooLarge(settings.TIPLINE_MAX_TOTAL_SIZE))
            try:
                read_post(request)
            except IntakeError as error:
                return error_response(request, error)
        return self.get_response(request)
