"""With JavaScript on, an impatient second click does not send a report twice."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Request, expect

from e2e import seed
from e2e.pages import HomePage
from e2e.server import Deployment

pytestmark = pytest.mark.e2e


def test_a_double_click_on_send_sends_the_report_once(deployment: Deployment, browser: Browser) -> None:
    context = browser.new_context(base_url=deployment.server.url, java_script_enabled=True)
    posts: list[str] = []

    def count(request: Request) -> None:
        if request.method == "POST" and "/report/" in request.url:
            posts.append(request.url)

    try:
        page = context.new_page()
        page.on("request", count)
        form = HomePage.open(page).choose_report_form(seed.CHANNEL_NAME)
        form.answer(seed.WHAT_LABEL, "Invoices paid twice to the same supplier")
        form.choose(seed.KIND_CHOICES[0])
        button = page.get_by_role("button", name="Send report", exact=True)
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.click(x, y)
        page.wait_for_timeout(20)  # an impatient second click, while the first is on its way
        page.mouse.click(x, y)
        expect(page).to_have_url(re.compile(r"/receipt/$"))
        expect(page.locator("#receipt")).to_have_text(re.compile(r"^\d{4} \d{4} \d{4} \d{4}$"))
    finally:
        context.close()
    assert len(posts) == 1, posts
