"""Smaller findings of the outside review (issue 11): each fails without its fix."""

from __future__ import annotations

import contextlib
import importlib
import socket
import sys
import threading

import pytest
from argon2 import extract_parameters
from django.contrib.auth.hashers import Argon2PasswordHasher, get_hasher
from django.db import connection
from django.test import Client, RequestFactory

from tipline.conftest import Setup, csrf_token


def test_the_csrf_cookie_lasts_only_as_long_as_the_browser_session(org: Setup) -> None:
    response = Client(enforce_csrf_checks=True).get("/report/web/")
    cookie = response.cookies["csrftoken"]
    assert cookie["max-age"] == ""
    assert cookie["expires"] == ""


def test_https_pages_carry_hsts_by_default(db: None) -> None:
    response = Client().get("/", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in Client().get("/")  # never over plain HTTP


def _boom() -> None:
    raise RuntimeError("boom")


def test_error_pages_never_show_the_pepper_or_credentials_even_with_debug(settings: object) -> None:
    from django.views.debug import technical_500_response

    settings.DEBUG = True  # type: ignore[attr-defined]
    settings.TIPLINE_DATABASE_URL_FOR_TEST = "postgres://u:" + "hunter2".upper() + "@db/x"  # type: ignore[attr-defined]
    try:
        _boom()
    except RuntimeError:
        page = technical_500_response(RequestFactory().get("/"), *sys.exc_info()).content.decode()
    assert settings.TIPLINE_PEPPER.decode() not in page  # type: ignore[attr-defined]
    assert "TIPLINE_PEPPER" in page  # named, hidden
    credentials = settings.TIPLINE_DATABASE_URL_FOR_TEST  # type: ignore[attr-defined]
    assert credentials.split(":")[2].split("@")[0] not in page  # the password part


def test_a_wrong_receipt_is_not_written_back_into_the_page(org: Setup) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/portal/", {"csrfmiddlewaretoken": csrf_token(client, "/portal/"), "receipt": "1234 5678 9012 3456"}
    )
    assert response.status_code == 403
    page = response.content.decode()
    assert "1234 5678 9012 3456" not in page
    assert "1234567890123456" not in page


def test_sqlite_overwrites_deleted_rows(db: None) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("a setting of SQLite's")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA secure_delete")
        assert cursor.fetchone()[0] == 1


def test_sqlite_commits_reach_the_disk_before_they_return(db: None) -> None:
    """A receipt is shown (and a mail removed from its server) only after the commit: with
    WAL and ``synchronous=NORMAL`` that commit would wait for a checkpoint to reach the disk."""
    if connection.vendor != "sqlite":
        pytest.skip("a setting of SQLite's (PostgreSQL syncs every commit by default)")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        assert cursor.fetchone()[0] == 2  # FULL


def test_the_case_pdf_fetches_no_url(org: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """A renderer that follows addresses would call out from inside the case's export."""
    from tipline.accounts.services import unlock_private_key
    from tipline.cases.services import exports
    from tipline.conftest import PASSWORD
    from tipline.register import services as register

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    connections: list[object] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            connections.append(listener.accept())

    waiter = threading.Thread(target=accept)
    waiter.start()
    bait = f'<html><body><img src="http://127.0.0.1:{port}/x.png"><link rel="stylesheet" href="http://127.0.0.1:{port}/s.css"></body></html>'
    monkeypatch.setattr(exports, "render_to_string", lambda *args, **kwargs: bait)
    version = org.channel.current_questionnaire()
    assert version is not None
    report = register.create_report(
        channel=org.channel, questionnaire=version, answers={"what": "x", "kind": "Fraud"}
    ).report
    key = unlock_private_key(user=org.handler, password=PASSWORD)
    assert exports.render_case_pdf(report=report, by=org.handler, private_key=key).startswith(b"%PDF")
    waiter.join()
    listener.close()
    assert connections == []


def test_staff_passwords_are_hashed_with_argon2id_at_django_s_cost() -> None:
    """The unit tests hash passwords at a token cost (tipline.conftest); the app does not."""
    app_settings = importlib.import_module("tipline.settings")
    assert app_settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    test_hash = get_hasher("argon2").encode("secret", "saltsaltsalt")
    assert Argon2PasswordHasher().verify("secret", test_hash)  # the test hashes are ordinary Argon2id
    parameters = extract_parameters(Argon2PasswordHasher().encode("secret", "saltsaltsalt").removeprefix("argon2"))
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (2, 102400, 8)
