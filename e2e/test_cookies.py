"""Secure cookies on plain HTTP: Chromium treats http://127.0.0.1 as a potentially trustworthy origin."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from e2e import seed
from e2e.journey import Journey
from e2e.pages import StaffLoginPage
from e2e.server import Deployment

pytestmark = pytest.mark.e2e

SESSION_COOKIES = {"csrftoken", "tipline_session", "tipline_vault"}


def test_chromium_keeps_and_sends_secure_cookies_to_http_loopback(deployment: Deployment, browser: Browser) -> None:
    context = browser.new_context(base_url=deployment.server.url)
    try:
        login = StaffLoginPage.open(context.new_page())
        assert [cookie["secure"] for cookie in context.cookies() if cookie["name"] == "csrftoken"] == [True]
        # The log-in POST passes CSRF only if the Secure csrftoken cookie came back; the queue
        # opens only if the Secure session and vault cookies were kept and sent.
        queue = login.log_in(seed.HANDLER, deployment.staff_password, deployment.authenticators[seed.HANDLER])
        queue.page.reload()
        cookies = context.cookies()
    finally:
        context.close()
    assert {cookie["name"] for cookie in cookies} >= SESSION_COOKIES
    assert all(cookie["secure"] and cookie["httpOnly"] for cookie in cookies), cookies
    assert all(cookie["sameSite"] == "Strict" for cookie in cookies if cookie["name"] in SESSION_COOKIES), cookies


def test_the_reporter_without_javascript_holds_only_secure_http_only_cookies(journey: Journey) -> None:
    cookies = journey.record.reporter_cookies
    assert {cookie["name"] for cookie in cookies} >= SESSION_COOKIES
    assert all(cookie["secure"] and cookie["httpOnly"] for cookie in cookies), cookies
