"""Turn publishing failures into a page in the person's language with a fitting status."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.utils import translation
from django.views.defaults import page_not_found

from tipline.publishing import languages
from tipline.publishing.exceptions import PublishingError
from tipline.refusals import renders_refusals

handles_publishing_errors = renders_refusals(PublishingError, "publishing/error.html")


def in_address_language(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """For public pages that are not cached (forms): the language still comes from the address."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, lang: str | None = None, **kwargs: Any) -> HttpResponseBase:
        language = lang or languages.default_language()
        with translation.override(language):
            request.LANGUAGE_CODE = language
            try:
                response = view(request, *args, language=language, **kwargs)
            except Http404 as missing:
                response = page_not_found(request, missing)
        response["Content-Language"] = language
        return response

    return wrapper
