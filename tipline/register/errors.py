"""Turn reporter-facing failures into a page in the reporter's language with a fitting status."""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError

from tipline.refusals import refusal_page, renders_refusals
from tipline.register.exceptions import (
    FormTooLarge,
    InvalidText,
    MalformedSubmission,
    NoRoomForFiles,
    ReporterError,
    TooManyAttachments,
)

ERROR_PAGE = "register/error.html"


def error_response(request: HttpRequest, error: ReporterError, *, back: str = "") -> HttpResponse:
    return refusal_page(request, error, ERROR_PAGE, back=back)


_NO_ROOM = (errno.ENOSPC, errno.ENOMEM, errno.EDQUOT)


def raise_if_no_room(failure: OSError) -> None:
    """A full memory-backed folder (uploads, cleaning) is the server's problem of the moment,
    not a broken request: tell the reporter to try again (503) instead of a bare 500."""
    if failure.errno in _NO_ROOM:
        raise NoRoomForFiles from failure


def read_post(request: HttpRequest) -> None:
    """Parse the body now, turning every parser failure into an :class:`ReporterError`."""
    try:
        if request.content_type == "application/x-www-form-urlencoded":
            # Django would silently re-read invalid UTF-8 as Latin-1; refuse it instead.
            unquote_to_bytes(request.body.replace(b"+", b" ")).decode("utf-8")
        request.POST  # noqa: B018 - forces parsing
        request.FILES  # noqa: B018
    except RequestDataTooBig:
        raise FormTooLarge from None
    except TooManyFilesSent:
        raise TooManyAttachments(settings.TIPLINE_MAX_FILES) from None
    except UnicodeDecodeError:
        raise InvalidText from None
    except (MultiPartParserError, TooManyFieldsSent, ValueError):
        raise MalformedSubmission from None
    except OSError as failure:
        raise_if_no_room(failure)
        raise
    error = getattr(request, "upload_error", None)
    if error is not None:
        raise error


handles_reporter_errors = renders_refusals(ReporterError, ERROR_PAGE)


SHOWS_REFUSALS = "shows_upload_refusals"

_View = TypeVar("_View", bound=Callable[..., Any])


def shows_upload_refusals(view: _View) -> _View:
    """Mark a view (outermost decorator) that handles ``request.upload_refusal`` itself."""
    setattr(view, SHOWS_REFUSALS, True)
    return view


def upload_refusal(request: HttpRequest) -> ReporterError | None:
    """The file-limit refusal of this request's body, for a view marked with :func:`shows_upload_refusals`."""
    refusal = getattr(request, "upload_refusal", None)
    return refusal if isinstance(refusal, ReporterError) else None
