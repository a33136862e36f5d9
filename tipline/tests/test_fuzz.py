"""Malformed requests of every kind to every form and public address: never a 5xx, and the
server still answers afterwards (issue 11).

Each generated request goes through the whole middleware stack and view; the test client
re-raises any exception a view lets escape, so a crash fails the test with its example.
"""

from __future__ import annotations

import string
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tipline.conftest import Setup, csrf_token

ADDRESSES = [
    "/",
    "/zh-hans/",
    "/page/2/",
    "/articles/x/",
    "/category/news/",
    "/tags/x/",
    "/archive/",
    "/archive/2026/13/",
    "/about/",
    "/how-to-report/",
    "/search/",
    "/feeds/atom.xml",
    "/feeds/x/rss.xml",
    "/subscribe/",
    "/subscriptions/confirm/x/",
    "/subscriptions/unsubscribe/x/",
    "/sitemap.xml",
    "/robots.txt",
    "/media/publishing/x.jpg",
    "/language/zz/",
    "/report/",
    "/report/web/",
    "/report/nope/",
    "/receipt/",
    "/portal/",
    "/portal/report/",
    "/portal/held/",
    "/portal/files/1/",
    "/portal/logout/",
    "/staff/login/",
    "/console/",
    "/console/reports/X/",
    "/editor/",
    "/admin/",
    "/i18n/setlang/",
]
METHODS = ["GET", "POST", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "PROPFIND"]
CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=latin-1",
    "multipart/form-data; boundary=xyz",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "text/plain",
    "application/json",
    "application/octet-stream",
    "",
    "nonsense/\x00",
]

_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=60)
_field = st.tuples(st.sampled_from(["q_what", "q_kind", "receipt", "body", "email", "f_files", "x" * 300]), _text)


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["bytes", "urlencoded", "multipart", "many"]))
    if kind == "bytes":
        return draw(st.binary(max_size=400))
    if kind == "urlencoded":
        pairs = draw(st.lists(_field, max_size=6))
        raw = "&".join(f"{k}={v}" for k, v in pairs) + draw(st.sampled_from(["", "%", "%zz", "%ff%fe", "&&=&"]))
        return raw.encode("utf-8", "surrogatepass")
    if kind == "many":
        return "&".join(f"k{n}=v" for n in range(draw(st.integers(990, 1100)))).encode()
    parts = draw(st.lists(_field, max_size=4))
    chunks = [
        f'--xyz\r\nContent-Disposition: form-data; name="{k}"; filename="{v}"\r\n\r\n{v}\r\n'.encode(
            "utf-8", "surrogatepass"
        )
        for k, v in parts
    ]
    ending = draw(st.sampled_from([b"--xyz--\r\n", b"--xyz", b"", b"--xy", b"\r\n\r\n"]))
    return b"".join(chunks) + ending


headers = st.fixed_dictionaries(
    {},
    optional={
        "HTTP_HOST": st.sampled_from(["evil.example", "127.0.0.1:99999", "", "[::1", "a" * 300]),
        "HTTP_COOKIE": st.text(alphabet=string.printable, max_size=80),
        "HTTP_ACCEPT_LANGUAGE": st.text(alphabet=string.printable, max_size=80),
        "HTTP_X_REAL_IP": st.sampled_from(["not an address", "::ffff:1.2.3.4", "1.2.3.4:5", "[", ""]),
        "HTTP_ORIGIN": st.sampled_from(["null", "http://evil.example", "http://testserver"]),
        "HTTP_REFERER": st.text(alphabet=string.printable, max_size=80),
        "QUERY_STRING": st.text(alphabet=string.printable, max_size=80),
    },
)


@pytest.mark.django_db
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    # One leading slash: the test client reads "//[" as a host (and fails itself, before any request).
    address=st.sampled_from(ADDRESSES)
    | st.text(alphabet=string.printable, max_size=40).map(lambda s: "/" + s.lstrip("/")),
    method=st.sampled_from(METHODS),
    content_type=st.sampled_from(CONTENT_TYPES),
    body=bodies(),
    extra=headers,
    with_token=st.booleans(),
)
def test_no_malformed_request_makes_a_server_error(  # noqa: PLR0917 - hypothesis passes each drawn value
    org: Setup,
    address: str,
    method: str,
    content_type: str,
    body: bytes,
    extra: dict[str, Any],
    with_token: bool,
) -> None:
    client = Client(enforce_csrf_checks=True)
    if with_token:  # get past the CSRF check, so the body itself is read
        token = csrf_token(client, "/report/web/")
        extra = {**extra, "HTTP_X_CSRFTOKEN": token}
    response = client.generic(method, address, data=body, content_type=content_type, **extra)
    assert response.status_code < 500, (method, address, response.status_code)


@pytest.mark.django_db
def test_the_server_still_answers_after_the_fuzzing(org: Setup) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.get("/").status_code == 200
    assert client.get("/report/web/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"\x00"),
        ("application/x-www-form-urlencoded", b"&".join(b"f%d=x" % i for i in range(1500))),
    ],
)
def test_a_malformed_body_sent_to_an_unknown_address_is_a_404(content_type: str, body: bytes) -> None:
    """Django's own 404 view checks the CSRF token of a POST, reading a body that may not
    parse: the 404 must be made without it."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.get("/portal/")  # a CSRF cookie, as a visitor has: the token check then reads the body
    response = client.generic("POST", "/0", data=body, content_type=content_type)
    assert response.status_code == 404


@pytest.mark.django_db
def test_the_404_page_keeps_a_working_language_switch() -> None:
    html = Client().get("/no-such-page/").content.decode()
    assert 'name="csrfmiddlewaretoken" value="' in html
    assert 'name="csrfmiddlewaretoken" value=""' not in html
