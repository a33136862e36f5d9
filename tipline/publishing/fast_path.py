"""Public pages answered before Django: a WSGI wrapper over the whole application.

A public page is the same for every reader of its address (its language comes from
the address, it sets no cookie, ``Cache-Control: public``). Once Django has rendered
one for an anonymous plain GET, this process keeps the exact answer, status, every
header (the security headers included) and the body, and gives it to the next
anonymous plain GET of the same address without running the middleware, the URL
resolver or the view.

What stays correct:

- Only a GET with no cookie, no query string, no ``Authorization`` and no
  conditional header is answered here; anything else goes to Django as before
  (a 304 for a conditional request is already cheap there).
- An answer is kept only when Django produced it for such a request, with status
  200, ``Cache-Control`` containing ``public``, no ``Set-Cookie``, nothing in
  ``Vary`` but ``Accept-Encoding`` and a body of at most ``MAX_BODY_BYTES`` that is
  not streamed.
- The key holds the scheme as Django sees it and the ``Host`` header, so a host
  Django would refuse never has an entry and an ``http`` request never gets the
  ``https`` answer.
- Only pages Django's public-page code served and marked with the version they
  were rendered for (``caching.PUBLIC_VERSION_KEY`` in the environ) are kept, and
  only when that is the version the process trusts at that moment. An entry is
  served only while the process's memo of the current version
  (:func:`caching.fresh_stamp`) names that same version; when the memo is too old
  the request goes to Django, which reads the version again. Publishing therefore
  reaches this path exactly as fast as it reaches the rendered-page cache: at once
  in the process that published, within ``TIPLINE_PUBLIC_STAMP_SECONDS`` in the
  others. Like that cache, an entry lasts ``TIPLINE_PUBLIC_CACHE_SECONDS`` at most.

Nothing here reads the client's address or writes a log line.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from tipline.publishing import caching

Environ = dict[str, Any]
Headers = list[tuple[str, str]]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

MAX_BODY_BYTES = 512 * 1024
MAX_ENTRIES = 1024
MAX_STORE_BYTES = 32 * 1024 * 1024  # per process: the most-read pages, not the whole archive

_REQUEST_HEADERS_THAT_CHANGE_THE_ANSWER = (
    "HTTP_COOKIE",
    "HTTP_AUTHORIZATION",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_IF_MATCH",
    "HTTP_IF_UNMODIFIED_SINCE",
    "HTTP_IF_RANGE",
    "HTTP_RANGE",
)


@dataclass(frozen=True)
class Answer:
    status: str
    headers: Headers
    body: bytes
    expires_at: float = float("inf")  # time.monotonic() after which it is not served


def _scheme(environ: Environ) -> str:
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        header, secure_value = proxy
        if header in environ:  # as Django's is_secure(): present, even empty, decides
            forwarded = str(environ[header]).split(",", 1)[0].strip()
            return "https" if forwarded == secure_value else "http"
    return str(environ.get("wsgi.url_scheme", "http"))


def request_key(environ: Environ) -> tuple[str, ...] | None:
    """The key of a request this path may answer, or ``None`` for one it must leave to Django."""
    if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING"):
        return None
    if any(environ.get(name) for name in _REQUEST_HEADERS_THAT_CHANGE_THE_ANSWER):
        return None
    host = environ.get("HTTP_HOST")
    if not host:
        return None
    return (_scheme(environ), str(host), str(environ.get("SCRIPT_NAME", "")), str(environ.get("PATH_INFO", "")))


def _header(headers: Headers, name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers:
        if key.lower() == wanted:
            return value
    return None


def may_keep(status: str, headers: Headers) -> bool:
    """Whether Django's answer is one every reader of the address may get."""
    if not status.startswith("200"):
        return False
    if "public" not in (_header(headers, "Cache-Control") or "").lower():
        return False
    if any(key.lower() == "set-cookie" for key, _ in headers):
        return False
    vary = {part.strip().lower() for part in (_header(headers, "Vary") or "").split(",") if part.strip()}
    return vary <= {"accept-encoding"}


class AnswerStore:
    """The kept answers of one public version, least recently used dropped first.

    Bounded twice: at most ``max_entries`` answers and ``max_bytes`` of bodies.
    """

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_STORE_BYTES) -> None:
        self._lock = threading.Lock()
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0
        self._version: int | None = None
        self._answers: OrderedDict[tuple[str, ...], Answer] = OrderedDict()

    def get(self, version: int, key: tuple[str, ...], now: float) -> Answer | None:
        with self._lock:
            if version != self._version:
                return None
            answer = self._answers.get(key)
            if answer is None:
                return None
            if now >= answer.expires_at:
                del self._answers[key]
                self._bytes -= len(answer.body)
                return None
            self._answers.move_to_end(key)
            return answer

    def put(self, version: int, key: tuple[str, ...], answer: Answer) -> None:
        """Keep ``answer`` for the current public ``version``; another version's answers go."""
        if len(answer.body) > self._max_bytes:
            return
        with self._lock:
            if version != self._version:  # newer, or older after a restore: the caller checked it is current
                self._version = version
                self._forget_all()
            old = self._answers.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._answers[key] = answer
            self._bytes += len(answer.body)
            while len(self._answers) > self._max_entries or self._bytes > self._max_bytes:
                _, dropped = self._answers.popitem(last=False)
                self._bytes -= len(dropped.body)

    def _forget_all(self) -> None:
        self._answers.clear()
        self._bytes = 0

    def clear(self) -> None:
        with self._lock:
            self._version = None
            self._forget_all()

    @property
    def size_bytes(self) -> int:
        with self._lock:
            return self._bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._answers)


class PublicFastPath:
    """WSGI middleware: kept public answers first, Django for everything else."""

    def __init__(self, application: WSGIApp, store: AnswerStore | None = None) -> None:
        self.application = application
        self.store = store if store is not None else AnswerStore()

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        key = request_key(environ) if settings.TIPLINE_PUBLIC_FAST_PATH else None
        if key is None:
            return self.application(environ, start_response)
        stamp = caching.fresh_stamp()
        answer = self.store.get(stamp.version, key, time.monotonic()) if stamp is not None else None
        if answer is not None:
            start_response(answer.status, list(answer.headers))
            return [answer.body]
        return self._through_django(environ, start_response, key)

    def _through_django(self, environ: Environ, start_response: StartResponse, key: tuple[str, ...]) -> Iterable[bytes]:
        seen: dict[str, Any] = {}

        def remember(status: str, headers: Headers, exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = status, headers
            if exc_info is not None:
                return start_response(status, headers, exc_info)
            return start_response(status, headers)

        result = self.application(environ, remember)
        status, headers = seen.get("status", ""), seen.get("headers", [])
        # Only a page Django's public-page code served and marked, for the version this process trusts now.
        version = environ.get(caching.PUBLIC_VERSION_KEY)
        current = caching.fresh_stamp()
        if (
            getattr(result, "streaming", False)
            or not isinstance(version, int)
            or current is None
            or current.version != version
            or not may_keep(status, headers)
        ):
            return result
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if len(body) <= MAX_BODY_BYTES:
            expires_at = time.monotonic() + settings.TIPLINE_PUBLIC_CACHE_SECONDS
            self.store.put(version, key, Answer(status, list(headers), body, expires_at))
        return [body]
