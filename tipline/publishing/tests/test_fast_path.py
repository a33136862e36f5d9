"""Kept public answers in front of Django: served only when every reader would get the same."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core import signals
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from tipline.publishing import caching, services
from tipline.publishing.fast_path import Answer, AnswerStore, PublicFastPath, may_keep, request_key
from tipline.publishing.tests.conftest import Editors, publish
from tipline.wsgi import django_application


@dataclass
class Reply:
    status: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


class CountingDjango:
    """Django's WSGI application, counting how often it is reached."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        self.calls += 1
        return django_application(environ, start_response)


@dataclass
class Site:
    app: PublicFastPath
    django: CountingDjango

    def get(self, path: str, **extra: str) -> Reply:
        return self.call("GET", path, **extra)

    def call(self, method: str, path: str, query: str = "", **extra: str) -> Reply:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SCRIPT_NAME": "",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "testserver",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": io.StringIO(),
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            **extra,
        }
        seen: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            seen["status"], seen["headers"] = status, headers

        result = self.app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return Reply(seen["status"], list(seen["headers"]), body)


@pytest.fixture
def site(settings: Any) -> Iterator[Site]:
    settings.TIPLINE_PUBLIC_STAMP_SECONDS = 60  # the fast path trusts a remembered version only
    settings.TIPLINE_PUBLIC_FAST_PATH = True
    caching._memo.forget()
    # As Django's test client does: the test's transaction must outlive each request.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        django = CountingDjango()
        yield Site(PublicFastPath(django, AnswerStore()), django)
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
        caching._memo.forget()


@pytest.fixture
def article_path(editors: Editors) -> str:
    words = services.ProfileWords(name="Office", short_name="O", introduction="I", contact="C")
    services.update_profile(
        by=editors.author, verified_domain="o.example", verified_since=None, logo=None, words={"en": words}
    )
    return publish(editors).get_absolute_url()


def test_the_second_reader_gets_djangos_exact_answer_without_django(site: Site, article_path: str) -> None:
    first = site.get(article_path)
    assert first.status.startswith("200")
    assert site.django.calls == 1
    with CaptureQueriesContext(connection) as queries:
        second = site.get(article_path)
    assert site.django.calls == 1, "the kept answer was not used"
    assert len(queries) == 0
    assert second == first
    for header in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "ETag", "Cache-Control"):
        assert second.header(header), header
    assert b"Council audit finds missing funds" in second.body


def test_a_public_page_does_not_vary_by_the_browsers_language(site: Site, article_path: str) -> None:
    reply = site.get(article_path, HTTP_ACCEPT_LANGUAGE="zh-Hans")
    assert "accept-language" not in (reply.header("Vary") or "").lower()
    assert reply.header("Content-Language") == "en"
    assert b"Council audit finds missing funds" in site.get(article_path, HTTP_ACCEPT_LANGUAGE="en").body


def test_other_pages_still_vary_by_language(site: Site, article_path: str) -> None:
    reply = site.get("/portal/")
    assert "accept-language" in (reply.header("Vary") or "").lower()


@pytest.mark.parametrize(
    "extra",
    [
        {"HTTP_COOKIE": "sessionid=abc"},
        {"HTTP_AUTHORIZATION": "Basic eDp5"},
        {"HTTP_IF_NONE_MATCH": '"x-1"'},
        {"HTTP_IF_MODIFIED_SINCE": "Wed, 21 Oct 2015 07:28:00 GMT"},
        {"HTTP_RANGE": "bytes=0-10"},
        {"query": "utm_source=x"},
    ],
    ids=["cookie", "authorization", "if-none-match", "if-modified-since", "range", "query"],
)
def test_requests_that_may_change_the_answer_go_to_django(site: Site, article_path: str, extra: dict[str, str]) -> None:
    site.get(article_path)
    site.get(article_path, **extra)
    site.get(article_path, **extra)
    assert site.django.calls == 3


def test_head_and_post_go_to_django(site: Site, article_path: str) -> None:
    site.get(article_path)
    site.call("HEAD", article_path)
    post = site.call("POST", article_path)
    assert site.django.calls == 3
    assert post.status.startswith("403") or post.status.startswith("405")


@pytest.mark.parametrize("path", ["/portal/", "/report/", "/no-such-page/", "/staff/login/"])
def test_private_missing_and_staff_pages_are_never_kept(site: Site, article_path: str, path: str) -> None:
    site.get(path)
    site.get(path)
    assert site.django.calls == 2
    assert len(site.app.store) == 0


def test_a_host_django_refuses_is_never_answered(site: Site, article_path: str) -> None:
    site.get(article_path)
    refused = site.get(article_path, HTTP_HOST="evil.example")
    again = site.get(article_path, HTTP_HOST="evil.example")
    assert refused.status.startswith("400")
    assert again.status.startswith("400")
    assert site.django.calls == 3


def test_publishing_is_seen_at_once(site: Site, editors: Editors, article_path: str) -> None:
    before = site.get("/")
    assert site.get("/") == before
    publish(editors, title="Fresh news from the council")
    after = site.get("/")
    assert b"Fresh news from the council" in after.body
    assert after.header("ETag") != before.header("ETag")
    assert b"Fresh news from the council" in site.get("/").body


def test_a_stale_version_falls_back_to_django(site: Site, article_path: str) -> None:
    site.get(article_path)
    caching._memo.forget()  # as when TIPLINE_PUBLIC_STAMP_SECONDS has run out
    site.get(article_path)
    assert site.django.calls == 2, "a version no longer trusted must be read again"
    site.get(article_path)
    assert site.django.calls == 2


def test_it_can_be_switched_off(site: Site, article_path: str, settings: Any) -> None:
    settings.TIPLINE_PUBLIC_FAST_PATH = False
    site.get(article_path)
    site.get(article_path)
    assert site.django.calls == 2


def test_the_scheme_is_part_of_the_key(settings: Any) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    base = {"REQUEST_METHOD": "GET", "HTTP_HOST": "h", "PATH_INFO": "/", "wsgi.url_scheme": "http"}
    plain = request_key(base)
    secure = request_key({**base, "HTTP_X_FORWARDED_PROTO": "https"})
    assert plain is not None
    assert secure is not None
    assert plain != secure
    assert request_key({**base, "HTTP_HOST": ""}) is None
    empty = request_key({**base, "wsgi.url_scheme": "https", "HTTP_X_FORWARDED_PROTO": ""})
    assert empty is not None
    assert empty[0] == "http", "an empty header counts as http, as for Django"


@pytest.mark.parametrize(
    ("status", "headers", "kept"),
    [
        ("200 OK", [("Cache-Control", "public, max-age=60")], True),
        ("200 OK", [("Cache-Control", "public"), ("Vary", "Accept-Encoding")], True),
        ("200 OK", [("Cache-Control", "private")], False),
        ("200 OK", [], False),
        ("404 Not Found", [("Cache-Control", "public")], False),
        ("301 Moved Permanently", [("Cache-Control", "public")], False),
        ("200 OK", [("Cache-Control", "public"), ("Set-Cookie", "a=b")], False),
        ("200 OK", [("Cache-Control", "public"), ("Vary", "Cookie")], False),
        ("200 OK", [("Cache-Control", "public"), ("Vary", "Accept-Language")], False),
    ],
)
def test_only_answers_for_everyone_are_kept(status: str, headers: list[tuple[str, str]], kept: bool) -> None:
    assert may_keep(status, headers) is kept


NOW = 1000.0


def test_the_store_is_bounded_and_keeps_one_version() -> None:
    store = AnswerStore(max_entries=2)
    answer = Answer("200 OK", [], b"x")
    store.put(1, ("a",), answer)
    store.put(1, ("b",), answer)
    assert store.get(1, ("a",), NOW) == answer  # a is now the most recent
    store.put(1, ("c",), answer)
    assert store.get(1, ("b",), NOW) is None
    assert store.get(1, ("a",), NOW) == answer
    assert len(store) == 2
    assert store.get(2, ("a",), NOW) is None, "another version never gets this version's answers"
    store.put(2, ("d",), answer)
    assert len(store) == 1
    assert store.get(1, ("a",), NOW) is None
    store.put(1, ("restored",), answer)  # the version went back (a restored database): start again
    assert store.get(1, ("restored",), NOW) == answer
    assert store.get(2, ("d",), NOW) is None


def test_an_answer_expires() -> None:
    store = AnswerStore()
    store.put(1, ("a",), Answer("200 OK", [], b"xyz", expires_at=NOW + 10))
    assert store.get(1, ("a",), NOW + 9) is not None
    assert store.get(1, ("a",), NOW + 10) is None
    assert len(store) == 0
    assert store.size_bytes == 0


def test_an_answer_rendered_for_an_older_version_is_not_kept(site: Site, article_path: str) -> None:
    class Newer(CountingDjango):
        def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            result = super().__call__(environ, start_response)
            # a publication in this process while the page was rendered
            newer = environ[caching.PUBLIC_VERSION_KEY] + 1
            caching._memo._stamp = caching.Stamp(version=newer, changed_at=caching.EPOCH)
            return result

    app = PublicFastPath(Newer(), AnswerStore())
    Site(app, CountingDjango()).get(article_path)
    assert len(app.store) == 0


def test_a_public_answer_not_marked_by_the_public_pages_is_never_kept(site: Site) -> None:
    """As a static file from WhiteNoise: public, cacheable, with an ETag that looks versioned."""

    def static_file(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [("Cache-Control", "public, max-age=60"), ("ETag", '"65f1a2b3-1234"')])
        return [b"body { color: black }"]

    app = PublicFastPath(static_file, AnswerStore())
    Site(app, CountingDjango()).get("/static/site.css")
    assert len(app.store) == 0


def test_the_store_is_bounded_in_bytes_too() -> None:
    store = AnswerStore(max_entries=100, max_bytes=10)
    store.put(1, ("a",), Answer("200 OK", [], b"12345"))
    store.put(1, ("b",), Answer("200 OK", [], b"12345"))
    assert len(store) == 2
    assert store.size_bytes == 10
    store.put(1, ("c",), Answer("200 OK", [], b"123"))
    assert store.get(1, ("a",), NOW) is None, "the least recently used answer makes room"
    assert store.size_bytes == 8
    store.put(1, ("c",), Answer("200 OK", [], b"1"))  # replacing counts the new body only
    assert store.size_bytes == 6
    store.put(1, ("huge",), Answer("200 OK", [], b"x" * 11))
    assert store.get(1, ("huge",), NOW) is None
    assert len(store) == 2


def test_a_version_read_while_a_publication_commits_is_not_remembered(
    db: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TIPLINE_PUBLIC_STAMP_SECONDS = 60
    caching._memo.forget()
    read = caching._read_stamp

    def racing() -> caching.Stamp:
        stamp = read()
        caching._memo.forget()  # the publication commits while this read is in flight
        return stamp

    monkeypatch.setattr(caching, "_read_stamp", racing)
    try:
        caching.current_stamp()
        assert caching.fresh_stamp() is None, "the old version would be trusted after the publication"
        monkeypatch.setattr(caching, "_read_stamp", read)
        caching.current_stamp()
        assert caching.fresh_stamp() is not None
    finally:
        caching._memo.forget()
