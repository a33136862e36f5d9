"""Fixtures for account tests: a submitted report and quick ways through the log-in steps."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tipline.conftest import PASSWORD, Setup, csrf_token
from tipline.register import services as register

NEW_PASSWORD = "violet tractor harbour 1987"


@pytest.fixture
def submission(org: Setup) -> register.Submission:
    version = org.channel.current_questionnaire()
    assert version is not None
    return register.create_report(
        channel=org.channel,
        questionnaire=version,
        answers={"what": "Kickbacks in roads", "kind": "Fraud"},
        identity="Jane Roe, 555-0100",
    )


def post(client: Client, url: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    """POST with the page's CSRF token, as a browser would."""
    return client.post(url, {"csrfmiddlewaretoken": csrf_token(client, url), **data})


def password_step(client: Client, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return post(client, "/staff/login/", {"username": username, "password": password})


def error_summary(html: str) -> str:
    found = re.search(r'<div class="error-summary" role="alert">(.*?)</div>', html, re.S)
    return re.sub(r"\s+", " ", found.group(1)) if found else ""


def flash_text(html: str) -> str:
    found = re.search(r'<div class="flash">(.*?)</div>', html, re.S)
    return found.group(1) if found else ""
