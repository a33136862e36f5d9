"""Cheap public pages: one version stamp, a rendered-page cache, ETag and 304.

Everything public is keyed by ``PublicState.version``. A request reads that one
row; if the browser or CDN already holds this version of the page it gets a 304
without any rendering; otherwise the page comes from the cache or is rendered once
and kept. Publishing bumps the version, which invalidates every page in every
process at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from tipline.publishing import languages
from tipline.publishing.models import PublicState

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Stamp:
    version: int
    changed_at: datetime


def current_stamp() -> Stamp:
    row = PublicState.objects.filter(pk=1).values_list("version", "changed_at").first()
    if row is None:
        return Stamp(version=0, changed_at=EPOCH)
    return Stamp(version=row[0], changed_at=row[1])


def bump_public_version() -> None:
    """Mark everything public as changed (call inside the transaction that changes it)."""
    now = timezone.now()
    with transaction.atomic():
        if not PublicState.objects.filter(pk=1).update(version=F("version") + 1, changed_at=now):
            PublicState.objects.get_or_create(pk=1, defaults={"version": 1, "changed_at": now})


def is_export(request: HttpRequest) -> bool:
    return getattr(request, "publishing_export", None) is not None


def _cache_key(stamp: Stamp, language: str, request: HttpRequest, uses_query: bool) -> str:
    target = request.get_full_path() if uses_query else request.path
    digest = hashlib.sha256(f"{language}\n{target}".encode()).hexdigest()[:32]
    return f"publishing:page:{stamp.version}:{digest}"


def _public_headers(response: HttpResponseBase, etag: str, stamp: Stamp, language: str) -> None:
    response["ETag"] = etag
    response["Last-Modified"] = http_date(stamp.changed_at.timestamp())
    max_age = settings.TIPLINE_PUBLIC_MAX_AGE
    response["Cache-Control"] = f"public, max-age={max_age}, stale-while-revalidate={max_age}"
    response["Content-Language"] = language


def _from_cache(entry: tuple[int, str, bytes]) -> HttpResponse:
    status, content_type, content = entry
    return HttpResponse(content, status=status, content_type=content_type)


View = Callable[..., HttpResponseBase]


def public_page(*, server_cache: bool = True, uses_query: bool = False) -> Callable[[View], View]:
    """Serve a public GET view in the language of its address, with HTTP and server caching.

    ``uses_query``: the query string changes the page (search), so it is part of the
    keys; it is ignored otherwise, and a page with many queries is not kept.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, lang: str | None = None, **kwargs: Any) -> HttpResponseBase:
            if request.method not in {"GET", "HEAD"}:
                return HttpResponseNotAllowed(["GET", "HEAD"])
            language = lang or languages.default_language()
            translation.activate(language)
            request.LANGUAGE_CODE = language
            if is_export(request):
                return view(request, *args, language=language, **kwargs)
            stamp = current_stamp()
            key = _cache_key(stamp, language, request, uses_query)
            etag = f'"{key.rsplit(":", 1)[1][:20]}-{stamp.version}"'
            not_modified = get_conditional_response(request, etag=etag, last_modified=int(stamp.changed_at.timestamp()))
            if not_modified is not None:
                _public_headers(not_modified, etag, stamp, language)
                return not_modified
            entry = cache.get(key) if server_cache else None
            if entry is not None:
                response: HttpResponseBase = _from_cache(entry)
            else:
                response = view(request, *args, language=language, **kwargs)
                if response.status_code != 200 or response.has_header("Cache-Control"):
                    return response  # redirects, errors and private answers keep their own rules
                if server_cache and isinstance(response, HttpResponse):
                    entry = (response.status_code, response["Content-Type"], response.content)
                    cache.set(key, entry, settings.TIPLINE_PUBLIC_CACHE_SECONDS)
            _public_headers(response, etag, stamp, language)
            return response

        return wrapper

    return decorate
