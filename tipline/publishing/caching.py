"""Cheap public pages: one version stamp, a rendered-page cache, ETag and 304.

Everything public is keyed by ``PublicState.version``. A request reads that one
row; if the browser or CDN already holds this version of the page it gets a 304
without any rendering; otherwise the page comes from the cache or is rendered once
and kept. Publishing bumps the version, which invalidates every page in every
process at once.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.views.defaults import page_not_found

from tipline.publishing import languages
from tipline.publishing.models import PublicState

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Stamp:
    version: int
    changed_at: datetime


_STAMP_SQL = f"SELECT version, changed_at FROM {PublicState._meta.db_table} WHERE id = 1"  # noqa: S608 - a constant


def _as_datetime(value: datetime | str) -> datetime:
    if isinstance(value, str):  # SQLite hands back text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _read_stamp() -> Stamp:
    # Plain SQL, a primary-key lookup: the ORM's query building would cost more than the lookup.
    with connection.cursor() as cursor:
        cursor.execute(_STAMP_SQL)
        row = cursor.fetchone()
    if row is None:
        return Stamp(version=0, changed_at=EPOCH)
    return Stamp(version=int(row[0]), changed_at=_as_datetime(row[1]))


class _Memo:
    """The stamp, remembered by this process for ``TIPLINE_PUBLIC_STAMP_SECONDS``.

    A page served from the cache then needs no database at all. Another process sees a
    new version at most that long after it was committed; this process at once.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until = 0.0
        self._stamp: Stamp | None = None
        self._generation = 0  # changes at every forget: a read begun before it is not remembered

    def get(self) -> Stamp:
        seconds = settings.TIPLINE_PUBLIC_STAMP_SECONDS
        now = time.monotonic()
        with self._lock:
            if self._stamp is not None and now < self._until:
                return self._stamp
            generation = self._generation
        stamp = _read_stamp()
        if seconds > 0:
            with self._lock:
                if generation == self._generation:
                    self._stamp, self._until = stamp, now + seconds
        return stamp

    def peek(self) -> Stamp | None:
        """The remembered stamp while it is still trusted, without touching the database."""
        with self._lock:
            if self._stamp is not None and time.monotonic() < self._until:
                return self._stamp
        return None

    def forget(self) -> None:
        with self._lock:
            self._stamp, self._until = None, 0.0
            self._generation += 1


_memo = _Memo()


def current_stamp() -> Stamp:
    """The version of everything public, read on every public request."""
    return _memo.get()


def fresh_stamp() -> Stamp | None:
    """The version this process trusts right now, or ``None`` when it must read it again."""
    return _memo.peek()


def bump_public_version() -> None:
    """Mark everything public as changed (call inside the transaction that changes it)."""
    now = timezone.now()
    with transaction.atomic():
        if not PublicState.objects.filter(pk=1).update(version=F("version") + 1, changed_at=now):
            PublicState.objects.get_or_create(pk=1, defaults={"version": 1, "changed_at": now})
        transaction.on_commit(_memo.forget)
    _memo.forget()


# Set in the WSGI environ (``request.META``) of a public 200 the server may keep: its version.
PUBLIC_VERSION_KEY = "tipline.public_version"

# The version the public page being rendered belongs to (per thread and task).
_page_stamp: ContextVar[Stamp | None] = ContextVar("tipline_public_page_stamp", default=None)


def page_version() -> int | None:
    """The public version of the public page being rendered, ``None`` outside one.

    A memo of data that public pages show (the badge, the site's name) is keyed by it:
    the page was read for this version, so what it shows must be at least as new. Data
    read after the version was read is, since every change moves the version when it
    commits (or after); a memo from an older version is never used for a newer page,
    whichever process remembered it.
    """
    stamp = _page_stamp.get()
    return stamp.version if stamp is not None else None


def is_export(request: HttpRequest) -> bool:
    return getattr(request, "publishing_export", None) is not None


def _cache_key(stamp: Stamp, language: str, request: HttpRequest, uses_query: bool) -> str:
    target = request.get_full_path() if uses_query else request.path
    digest = hashlib.sha256(f"{language}\n{target}".encode()).hexdigest()[:32]
    return f"publishing:page:{stamp.version}:{digest}"


def _etag(key: str, stamp: Stamp) -> str:
    return f'"{key.rsplit(":", 1)[1][:20]}-{stamp.version}"'


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


def _call(request: HttpRequest, view: View, language: str, stamp: Stamp, *args: Any, **kwargs: Any) -> HttpResponseBase:
    """The view, rendered for ``stamp``, with a 404 rendered here, in the address's language."""
    token = _page_stamp.set(stamp)
    try:
        return view(request, *args, language=language, **kwargs)
    except Http404 as missing:
        return page_not_found(request, missing)
    finally:
        _page_stamp.reset(token)


def _serve(
    request: HttpRequest, view: View, language: str, server_cache: bool, uses_query: bool, *args: Any, **kwargs: Any
) -> HttpResponseBase:
    stamp = current_stamp()
    if is_export(request):
        return _call(request, view, language, stamp, *args, **kwargs)
    key = _cache_key(stamp, language, request, uses_query)
    etag = _etag(key, stamp)
    not_modified = get_conditional_response(request, etag=etag, last_modified=int(stamp.changed_at.timestamp()))
    if not_modified is not None:
        _public_headers(not_modified, etag, stamp, language)
        return not_modified
    entry = cache.get(key) if server_cache else None
    if entry is not None:
        response: HttpResponseBase = _from_cache(entry)
    else:
        response = _call(request, view, language, stamp, *args, **kwargs)
        if response.status_code != 200 or response.has_header("Cache-Control"):
            return response  # redirects, errors and private answers keep their own rules
        if server_cache and isinstance(response, HttpResponse):
            entry = (response.status_code, response["Content-Type"], response.content)
            cache.set(key, entry, settings.TIPLINE_PUBLIC_CACHE_SECONDS)
    _public_headers(response, etag, stamp, language)
    if server_cache:  # a page the server may keep: the WSGI fast path may keep it too
        request.META[PUBLIC_VERSION_KEY] = stamp.version
    return response


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
            with translation.override(language):
                request.LANGUAGE_CODE = language
                response = _serve(request, view, language, server_cache, uses_query, *args, **kwargs)
            response["Content-Language"] = language
            response.language_from_address = True  # type: ignore[attr-defined]
            return response

        return wrapper

    return decorate
