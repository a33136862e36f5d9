"""The reporter's moments, with JavaScript off on a phone (390 and 320 px wide): a reload on
the receipt page, a failed send that keeps its files, and a reply typed past the idle time.
What was kept between two steps never rests in clear in the database or the file store."""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from e2e import seed
from e2e import server as e2e_server
from e2e.journey import photo_with_exif
from e2e.markers import find_leaks, unique
from e2e.pages import HomePage, PortalPage, ReceiptLoginPage, ReceiptPage, ReportFormPage
from e2e.server import Deployment, TiplineServer

pytestmark = pytest.mark.e2e

PHONES = [390, 320]
IDLE_SECONDS = 10  # the least TIPLINE_REPORTER_IDLE_SECONDS accepts


def _phone(browser: Browser, base_url: str, width: int) -> BrowserContext:
    return browser.new_context(
        base_url=base_url, java_script_enabled=False, viewport={"width": width, "height": 780}, is_mobile=True
    )


def _no_sideways_scroll(page: Page) -> None:
    scroll, width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= width, f"{page.url} scrolls sideways: {scroll} > {width}"


def _groups_on_one_line_each(page: Page) -> None:
    """No group of four digits is broken across two lines."""
    rects = page.evaluate(
        """() => { const text = document.getElementById('receipt').firstChild; const found = [];
        for (let at = text.data.indexOf(text.data.trim()); at + 4 <= text.data.length; at += 5) {
          const range = document.createRange(); range.setStart(text, at); range.setEnd(text, at + 4);
          found.push(range.getClientRects().length); }
        return found; }"""
    )
    assert rects == [1, 1, 1, 1], rects


def _new_report(page: Page, *, what: str) -> ReceiptPage:
    form = HomePage.open(page).choose_report_form(seed.CHANNEL_NAME)
    form.answer(seed.WHAT_LABEL, what)
    form.choose(seed.KIND_CHOICES[0])
    return form.send()


def _at_rest(deployment: Deployment | TiplineServer) -> dict[str, bytes]:
    server = deployment.server if isinstance(deployment, Deployment) else deployment
    return {**server.database.snapshot(), **{f"store {k}": v for k, v in server.store_files().items()}}


@pytest.mark.parametrize("width", PHONES)
def test_a_reload_shows_the_receipt_again_until_it_is_written_down(
    deployment: Deployment, browser: Browser, width: int
) -> None:
    context = _phone(browser, deployment.server.url, width)
    try:
        page = context.new_page()
        receipt_page = _new_report(page, what=f"Tenders split to dodge the threshold {unique('W')}")
        receipt = receipt_page.receipt()
        assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", receipt)
        _no_sideways_scroll(page)
        _groups_on_one_line_each(page)
        expect(page.get_by_role("region", name="When to come back")).to_contain_text("will confirm")
        assert receipt_page.receipt_is_shown_after_reload()
        assert receipt_page.receipt() == receipt
        portal = receipt_page.written_down()
        _no_sideways_scroll(page)
        assert portal.status() == "New"
        page.goto("/receipt/")
        expect(page.locator("#receipt")).to_have_count(0)
    finally:
        context.close()


@pytest.mark.parametrize("width", PHONES)
def test_a_failed_send_keeps_its_files_for_the_retry(deployment: Deployment, browser: Browser, width: int) -> None:
    camera, file_name, where = unique("KEPTcamera"), unique("KEPTfile") + ".jpg", unique("KEPTwhere")
    context = _phone(browser, deployment.server.url, width)
    try:
        page = context.new_page()
        form = HomePage.open(page).choose_report_form(seed.CHANNEL_NAME)
        form.answer(seed.WHAT_LABEL, "   ")  # passes the browser's own check, not the server's
        form.answer(seed.WHERE_LABEL, where)
        form.choose(seed.KIND_CHOICES[0])
        form.attach(seed.FILES_LABEL, name=file_name, content=photo_with_exif(camera), mime_type="image/jpeg")
        form.send_refused()
        assert page.title().startswith("Error: ")
        assert page.evaluate("document.activeElement.id") == "error-summary-title", "the summary has the focus"
        assert form.problems() == [f"{seed.WHAT_LABEL} This field is required."]  # the label ends in "?"
        assert form.kept_files() == [file_name]
        expect(page.locator("input[name=q_where]")).to_have_value(where)
        _no_sideways_scroll(page)
        leaks = find_leaks(_at_rest(deployment), {"camera": camera, "file name": file_name, "answer": where})
        assert not leaks, "\n".join(leaks)

        form.answer(seed.WHAT_LABEL, "The depot sold fuel cards for cash")
        portal = form.send().written_down()
        expect(page.get_by_role("main").locator("details")).to_contain_text(file_name)
        assert isinstance(portal, PortalPage)
        leaks = find_leaks(_at_rest(deployment), {"camera": camera, "file name": file_name, "answer": where})
        assert not leaks, "\n".join(leaks)
    finally:
        context.close()


@pytest.mark.parametrize("width", PHONES)
def test_a_removed_kept_file_is_not_sent(deployment: Deployment, browser: Browser, width: int) -> None:
    context = _phone(browser, deployment.server.url, width)
    try:
        page = context.new_page()
        form = HomePage.open(page).choose_report_form(seed.CHANNEL_NAME)
        form.answer(seed.WHAT_LABEL, "   ")
        form.choose(seed.KIND_CHOICES[0])
        form.attach(seed.FILES_LABEL, name="wrong-photo.jpg", content=photo_with_exif("x"), mime_type="image/jpeg")
        form.send_refused()
        form.remove_kept("wrong-photo.jpg")
        assert ReportFormPage(page, seed.CHANNEL_NAME).kept_files() == []
        form.answer(seed.WHAT_LABEL, "Only words this time")
        form.send().written_down()
        expect(page.get_by_role("main").locator("details")).not_to_contain_text("wrong-photo.jpg")
    finally:
        context.close()


@pytest.fixture(scope="module")
def short_idle(deployment: Deployment) -> Iterator[TiplineServer]:
    """Another server of the deployment whose reporters are logged out after 10 seconds."""
    server = e2e_server.second_server(
        deployment.server, extra_environment={"TIPLINE_REPORTER_IDLE_SECONDS": str(IDLE_SECONDS)}
    )
    try:
        server.start()
        yield server
    finally:
        server.stop()  # not close(): the database is the deployment's
        shutil.rmtree(server.clean_dir, ignore_errors=True)


@pytest.mark.parametrize("width", PHONES)
def test_a_reply_typed_past_the_idle_time_comes_back_after_log_in(
    short_idle: TiplineServer, browser: Browser, width: int
) -> None:
    marker = unique("KEPTreply")
    reply = f"The second invoice came on a Sunday {marker}"
    context = _phone(browser, short_idle.url, width)
    try:
        page = context.new_page()
        receipt_page = _new_report(page, what="A contract awarded to the mayor's brother")
        receipt = receipt_page.receipt()
        portal = receipt_page.written_down()
        page.locator("textarea[name=body]").fill(reply)
        time.sleep(IDLE_SECONDS + 1.5)  # the reporter is still typing
        page.get_by_role("button", name="Send", exact=True).click()
        login = ReceiptLoginPage(page)
        expect(page.get_by_role("status")).to_contain_text("it is kept")
        _no_sideways_scroll(page)
        leaks = find_leaks(_at_rest(short_idle), {"kept reply": marker})
        assert not leaks, "\n".join(leaks)

        portal = login.log_in(receipt)
        assert portal.reply_box() == reply
        expect(page.get_by_role("main")).to_contain_text("is back in the box below")
        portal.write_to_handler(reply)
        page.reload()
        assert portal.reply_box() == "", "offered once"
        leaks = find_leaks(_at_rest(short_idle), {"kept reply": marker})
        assert not leaks, "\n".join(leaks)
    finally:
        context.close()
