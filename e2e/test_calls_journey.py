"""A call-taker takes a call and reads out the receipt; the caller (JavaScript off) logs in
with it, confirms what was written down and replies; the handler sees the confirmation.
A letter is entered with a scan of it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from e2e import seed
from e2e.markers import unique
from e2e.pages import HomePage, StaffLoginPage
from e2e.server import Deployment
from tipline.conftest import jpeg_with_exif

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class CallRecord:
    receipt_groups: list[str]
    receipt_shown_again: bool
    transcript: str
    reply: str
    handler_page: str
    letter_handler_page: str
    letter_text: str
    enter_checks_the_form: bool
    enter_detail: str
    on_a_phone: dict[str, object]


def _staff_page(browser: Browser, deployment: Deployment, username: str) -> Page:
    page = browser.new_context(base_url=deployment.server.url).new_page()
    StaffLoginPage.open(page).sign_in(username, deployment.staff_password, deployment.authenticators[username])
    return page


def _take(page: Page, channel: str, *, what: str, transcript: str = "", scan: bytes | None = None) -> list[str]:
    """The call-taker's screen: one report taken, the receipt read out in groups of four."""
    page.get_by_role("link", name=channel, exact=True).click()
    page.get_by_label(re.compile(rf"^{re.escape(seed.WHAT_LABEL)}")).fill(what)
    page.get_by_label(seed.KIND_CHOICES[0], exact=True).check()
    if page.get_by_label("No recording", exact=True).count():
        page.get_by_label("No recording", exact=True).check()
    if transcript:
        page.get_by_label(re.compile(r"^(Transcript or minutes|Notes on the letter)")).fill(transcript)
    if scan is not None:
        page.locator("input[type=file][name=files]").set_input_files(
            files=[{"name": "letter.jpg", "mimeType": "image/jpeg", "buffer": scan}]
        )
    page.get_by_role("button", name="Store the report and show the receipt", exact=True).click()
    expect(page.get_by_role("heading", name="The report is stored", exact=True)).to_be_visible()
    return page.locator(".receipt-group").all_inner_texts()


@pytest.fixture(scope="module")
def call(deployment: Deployment, browser: Browser) -> Iterator[CallRecord]:
    desk = _staff_page(browser, deployment, seed.CALL_TAKER)
    expect(desk).to_have_url(re.compile(r"/calls/$"))
    # Enter in a field sends the form to be stored, so the browser first checks it (here it
    # stops at the questions not answered yet), never to another language.
    desk.get_by_role("link", name=seed.PHONE_CHANNEL_NAME, exact=True).click()
    name = desk.get_by_label(re.compile(r"^Number to call back"))  # a one-line field: Enter submits
    name.fill("+44 20 7946 0000")
    posted: list[str] = []

    def note(request: Request) -> None:
        if request.method == "POST":
            posted.append(request.post_data or "")

    desk.on("request", note)
    name.press("Enter")
    desk.wait_for_timeout(1000)
    desk.remove_listener("request", note)
    # A language button (formnovalidate) would have sent the form unchecked, with switch_language.
    stopped = desk.evaluate("!document.getElementById('take-form').checkValidity()")
    enter_checks = stopped and not posted and name.input_value() == "+44 20 7946 0000"
    enter_detail = f"{stopped=} {posted=} {name.input_value()=} {desk.url=}"
    desk.goto("/calls/")
    transcript, reply = f"The caller saw {unique('CALLmarker')} on Friday.", f"Thank you {unique('REPLYmarker')}"
    groups = _take(desk, seed.PHONE_CHANNEL_NAME, what="Cash for permits at the depot", transcript=transcript)
    on_a_phone = _receipt_on_a_phone(desk)
    desk.reload()
    shown_again = desk.locator(".receipt-group").count() > 0

    caller = browser.new_context(base_url=deployment.server.url, java_script_enabled=False).new_page()
    portal = HomePage.open(caller).go_to_check_your_report().log_in(" ".join(groups))
    section = caller.get_by_role("region", name="What was written down when you called or met us")
    expect(section).to_contain_text(transcript)
    section.get_by_label("Yes, it is right", exact=True).check()
    section.get_by_role("button", name="Send my answer", exact=True).click()
    expect(caller.get_by_text("Thank you for confirming.")).to_be_visible()
    portal.write_to_handler(reply)

    desk.goto("/calls/")
    letter = f"A letter about {unique('LETTERmarker')}"
    _take(desk, seed.POST_CHANNEL_NAME, what=letter, scan=jpeg_with_exif("LetterScanMarker"))

    handler = _staff_page(browser, deployment, seed.PHONE_HANDLER)
    handler.goto("/console/")
    handler.get_by_role("table").get_by_role("row").filter(has_text=seed.PHONE_CHANNEL_NAME).get_by_role("link").click()
    handler_page = handler.locator("main").inner_text()
    handler.goto("/console/")
    handler.get_by_role("table").get_by_role("row").filter(has_text=seed.POST_CHANNEL_NAME).get_by_role("link").click()
    letter_page = handler.locator("main").inner_text()
    yield CallRecord(
        receipt_groups=groups,
        receipt_shown_again=shown_again,
        transcript=transcript,
        reply=reply,
        handler_page=handler_page,
        letter_handler_page=letter_page,
        letter_text=letter,
        enter_checks_the_form=enter_checks,
        enter_detail=enter_detail,
        on_a_phone=on_a_phone,
    )
    for page in (desk, caller, handler):
        page.context.close()


def _receipt_on_a_phone(page: Page) -> dict[str, object]:
    """How the receipt lies on a screen 320 px wide: its lines, its size beside the heading's."""
    size = page.viewport_size
    page.set_viewport_size({"width": 320, "height": 640})
    try:
        tops = {round((group.bounding_box() or {"y": -1})["y"]) for group in page.locator(".receipt-group").all()}
        px = "e => parseFloat(getComputedStyle(e).fontSize)"
        return {
            "lines": len(tops),
            "digits_px": page.locator(".receipt-large").evaluate(px),
            "heading_px": page.locator("h1").evaluate(px),
            "sideways": page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth"),
        }
    finally:
        if size is not None:
            page.set_viewport_size(size)


def test_on_a_phone_the_receipt_stays_large_two_groups_a_line(call: CallRecord) -> None:
    phone = call.on_a_phone
    assert phone["lines"] == 2, phone
    assert float(phone["digits_px"]) > float(phone["heading_px"]), phone  # type: ignore[arg-type]
    assert not phone["sideways"], phone


def test_the_receipt_is_read_out_in_four_groups_once(call: CallRecord) -> None:
    assert len(call.receipt_groups) == 4
    assert all(re.fullmatch(r"\d{4}", group) for group in call.receipt_groups)
    assert not call.receipt_shown_again


def test_the_handler_sees_the_confirmed_transcript_and_the_reply(call: CallRecord) -> None:
    assert call.transcript in call.handler_page
    assert "Confirmed by the reporter" in call.handler_page
    assert call.reply in call.handler_page
    assert "the reporter did not agree to a recording" in call.handler_page


def test_the_letter_arrives_with_its_scan(call: CallRecord) -> None:
    assert call.letter_text in call.letter_handler_page
    assert "letter.jpg" in call.letter_handler_page
    assert "metadata removed" in call.letter_handler_page


def test_enter_in_a_field_checks_the_form_and_keeps_the_language(call: CallRecord) -> None:
    assert call.enter_checks_the_form, call.enter_detail
