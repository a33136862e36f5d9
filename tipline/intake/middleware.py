from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

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
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.TIPLINE_MAX_TOTAL_SIZE + _OVERHEAD:
            return error_response(request, AttachmentsTooLarge(settings.TIPLINE_MAX_TOTAL_SIZE))
        try:
            read_post(request)
        except IntakeError as error:
            if error.keeps_form and getattr(view_func, _SHOWS_REFUSALS, False):
                request.upload_refusal = error  # type: ignore[attr-defined]
                return None
            return error_response(request, error)
        return None


_SHOWS_REFUSALS = "shows_upload_refusals"

_View = TypeVar("_View", bound=Callable[..., Any])


def shows_upload_refusals(view: _View) -> _View:
    """Mark a view (outermost decorator) that handles ``request.upload_refusal`` itself."""
    setattr(view, _SHOWS_REFUSALS, True)
    return view


def upload_refusal(request: HttpRequest) -> IntakeError | None:
    """The file-limit refusal of this request's body, for a view marked with :func:`shows_upload_refusals`."""
    refusal = getattr(request, "upload_refusal", None)
    return refusal if isinstance(refusal, IntakeError) else None
