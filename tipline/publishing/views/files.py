"""Article images, and the link that carries a reader's language into the report pages."""

from __future__ import annotations

from typing import Literal, cast

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_safe

from tipline.publishing import languages
from tipline.publishing.images import media_dir

_TYPES = {"jpg": "image/jpeg", "png": "image/png"}


@require_safe
def media(request: HttpRequest, name: str) -> FileResponse:
    """A stored image. Names are content digests, so a response never changes."""
    path = media_dir() / name
    extension = name.rsplit(".", 1)[-1]
    if extension not in _TYPES or not path.is_file():
        raise Http404
    response = FileResponse(path.open("rb"), content_type=_TYPES[extension])
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["ETag"] = f'"{name}"'
    return response


@require_safe
def switch_language(request: HttpRequest, code: str) -> HttpResponseRedirect:
    """Remember ``code`` for the pages whose language comes from the visitor's choice (the
    report form, the portal), then go to ``next``. A language choice is all this sets."""
    if not languages.is_supported(code):
        raise Http404
    target = request.GET.get("next", "/")
    if not target.startswith("/") or not url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=cast("Literal['Lax', 'Strict', 'None']", settings.LANGUAGE_COOKIE_SAMESITE),
    )
    return response
