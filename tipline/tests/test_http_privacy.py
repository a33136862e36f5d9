"""The reporter side leaves no address, agent or referrer anywhere, and asks browsers to keep nothing."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from tipline.conftest import Setup, csrf_token

FAKE_ADDRESS = "203.0.113.77"
FAKE_AGENT = "Mozilla/5.0 (Unique-Agent-6612)"
FAKE_REFERRER = "https://referrer.example/unique-4471"


def test_no_log_record_carries_the_reporters_address(org: Setup, caplog: pytest.LogCaptureFixture) -> None:
    client = Client(
        enforce_csrf_checks=True,
        REMOTE_ADDR=FAKE_ADDRESS,
        HTTP_X_FORWARDED_FOR=FAKE_ADDRESS,
        HTTP_USER_AGENT=FAKE_AGENT,
        HTTP_REFERER=FAKE_REFERRER,
    )
    caplog.set_level(logging.DEBUG)
    token = csrf_token(client, "/report/web/")
    client.post("/report/web/", {"csrfmiddlewaretoken": token, "q_kind": "Fraud"})  # invalid: logs a warning
    client.post("/report/web/", {"csrfmiddlewaretoken": token, "q_what": "x", "q_kind": "Fraud"})
    client.get("/report/missing/")  # 404 is logged by django.request
    client.post("/portal/", {"receipt": "1"})  # CSRF failure is logged by django.security
    client.post("/portal/", {"csrfmiddlewaretoken": token, "receipt": "1111 2222 3333 4444"})
    assert caplog.records, "the requests above do log something"
    for record in caplog.records:
        text = record.getMessage() + repr(record.__dict__)
        for secret in (FAKE_ADDRESS, FAKE_AGENT, FAKE_REFERRER):
            assert secret not in text, f"{secret} leaked into log record {record.name}"


def test_views_never_see_the_address_agent_or_referrer(org: Setup) -> None:
    from django.http import HttpRequest

    from tipline.http_privacy import ClientAddressScrubMiddleware

    seen: dict[str, object] = {}

    def view(request: HttpRequest) -> object:
        seen.update(request.META)
        seen["tag"] = request.client_tag  # type: ignore[attr-defined]
        return object()

    request = HttpRequest()
    request.META.update(
        REMOTE_ADDR=FAKE_ADDRESS,
        HTTP_USER_AGENT=FAKE_AGENT,
        HTTP_REFERER=FAKE_REFERRER,
        HTTP_X_FORWARDED_FOR=FAKE_ADDRESS,
    )
    ClientAddressScrubMiddleware(view)(request)  # type: ignore[arg-type]
    assert FAKE_ADDRESS not in repr(seen)
    assert FAKE_AGENT not in repr(seen)
    assert FAKE_REFERRER not in repr(seen)
    assert isinstance(seen["tag"], str)
    assert len(seen["tag"]) == 32


def test_reporter_pages_are_not_cached_and_carry_a_strict_csp(org: Setup, client: Client) -> None:
    for url in ["/report/web/", "/portal/", "/report/"]:
        response = client.get(url)
        assert response["Cache-Control"] == "no-store"
        csp = response["Content-Security-Policy"]
        assert "default-src 'none'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "http" not in csp, "nothing is loaded from another origin"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_reference_nothing_on_another_origin(org: Setup, client: Client) -> None:
    body = client.get("/report/web/").content.decode()
    assert 'src="http' not in body
    assert 'href="http' not in body


def test_session_and_vault_cookies_are_secure_httponly_and_strict(org: Setup, client: Client) -> None:
    token = csrf_token(client, "/report/web/")
    response = client.post("/report/web/", {"csrfmiddlewaretoken": token, "q_what": "x", "q_kind": "Fraud"})
    for name in ["tipline_session", "tipline_vault"]:
        cookie = response.cookies[name]
        assert cookie["secure"]
        assert cookie["httponly"]
        assert cookie["samesite"] == "Strict"


def test_the_receipt_never_appears_in_a_url_or_a_cookie(org: Setup, client: Client) -> None:
    import re

    token = csrf_token(client, "/report/web/")
    response = client.post("/report/web/", {"csrfmiddlewaretoken": token, "q_what": "x", "q_kind": "Fraud"})
    page = client.get("/receipt/").content.decode()
    receipt = re.search(r'id="receipt">([\d ]+)<', page).group(1).replace(" ", "")  # type: ignore[union-attr]
    assert receipt not in response["Location"]
    assert all(receipt not in morsel.value for morsel in client.cookies.values())


def _tag_and_meta(meta: dict[str, str]) -> tuple[str, dict[str, object]]:
    from django.http import HttpRequest

    from tipline.http_privacy import ClientAddressScrubMiddleware

    seen: dict[str, object] = {}

    def view(request: HttpRequest) -> object:
        seen.update(request.META)
        return request.client_tag  # type: ignore[attr-defined]

    request = HttpRequest()
    request.META.update(meta)
    tag = ClientAddressScrubMiddleware(view)(request)  # type: ignore[arg-type]
    return str(tag), seen


def test_behind_a_proxy_the_tag_comes_from_the_proxys_header_and_the_header_is_dropped(settings: object) -> None:
    settings.TIPLINE_CLIENT_ADDRESS_HEADER = "X-Real-IP"  # type: ignore[attr-defined]
    first, seen = _tag_and_meta({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": FAKE_ADDRESS})
    second, _ = _tag_and_meta({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "198.51.100.9"})
    again, _ = _tag_and_meta({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": FAKE_ADDRESS})
    proxy_itself, _ = _tag_and_meta({"REMOTE_ADDR": "127.0.0.1"})
    assert first == again
    assert len({first, second, proxy_itself}) == 3, "visitors behind the proxy no longer share one tag"
    assert FAKE_ADDRESS not in repr(seen)


def test_the_address_header_is_ignored_from_anyone_but_a_trusted_proxy(settings: object) -> None:
    settings.TIPLINE_CLIENT_ADDRESS_HEADER = "X-Real-IP"  # type: ignore[attr-defined]
    spoofed, seen = _tag_and_meta({"REMOTE_ADDR": FAKE_ADDRESS, "HTTP_X_REAL_IP": "198.51.100.1"})
    plain, _ = _tag_and_meta({"REMOTE_ADDR": FAKE_ADDRESS})
    assert spoofed == plain
    assert "198.51.100.1" not in repr(seen)


def test_only_a_same_origin_referrer_is_kept(settings: object) -> None:
    settings.ALLOWED_HOSTS = ["tips.example"]  # type: ignore[attr-defined]
    _, seen = _tag_and_meta({"HTTP_HOST": "tips.example", "HTTP_REFERER": "http://tips.example/portal/"})
    assert seen["HTTP_REFERER"] == "http://tips.example/portal/"
    for foreign in (FAKE_REFERRER, "http://user@tips.example/", "https://tips.example/", "http://tips.example:81/"):
        _, seen = _tag_and_meta({"HTTP_HOST": "tips.example", "HTTP_REFERER": foreign})
        assert "HTTP_REFERER" not in seen, foreign


def test_a_https_form_sent_without_an_origin_header_passes_the_csrf_check(org: Setup) -> None:
    """Text browsers (lynx, w3m) send a Referer but no Origin; Django's HTTPS check needs one of them."""
    client = Client(enforce_csrf_checks=True)
    token = csrf_token(client, "/portal/")
    response = client.post(
        "/portal/",
        {"csrfmiddlewaretoken": token, "receipt": "1111 2222 3333 4444"},
        secure=True,
        HTTP_REFERER="https://testserver/portal/",
    )
    assert response.status_code == 403
    assert "did not open a report" in response.content.decode(), "refused by the receipt check, not by CSRF"
