"""The whole conversation: a reporter with JavaScript off, a handler with it on."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Cookie

from e2e import seed
from e2e.markers import ClientTraces, ContentMarkers
from e2e.pages import HomePage, StaffLoginPage

CAMERA_MAKER = "MakerCorp"
PHOTO_SIZE = (64, 48)
EXIF_MAKE, EXIF_MODEL, EXIF_GPS_IFD = 0x010F, 0x0110, 0x8825


def photo_with_exif(camera_model: str) -> bytes:
    """A small JPEG carrying a camera maker, a camera model and a GPS position."""
    image = Image.new("RGB", PHOTO_SIZE, (200, 30, 30))
    exif = Image.Exif()
    exif[EXIF_MODEL] = camera_model
    exif[EXIF_MAKE] = CAMERA_MAKER
    exif[EXIF_GPS_IFD] = {1: "N", 2: (52.0, 22.0, 3.5), 3: "E", 4: (13.0, 24.0, 1.25)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@dataclass(frozen=True)
class Texts:
    """What people type, each carrying its marker amid non-ASCII prose."""

    what: str
    where: str
    identity: str
    reply: str
    reporter_answer: str
    file_name: str

    @classmethod
    def around(cls, markers: ContentMarkers) -> Texts:
        return cls(
            what=f"Der Leiter des Bauamts nahm Bargeld an — 贿赂, łapówka. {markers.what}",
            where=f"Bauamt Süd, Zimmer 4 {markers.where}",
            identity=f"Zoë Nowak-Żółć, Signal +48 600 000 000 {markers.identity}",
            reply=f"Thank you. Can you say when this happened? {markers.reply}",
            reporter_answer=f"Im März, früh morgens — 三月. {markers.reporter_answer}",
            file_name=f"{markers.file_name}.jpg",
        )


@dataclass(frozen=True)
class JourneyRecord:
    """What each party saw and handled, for the tests to judge."""

    receipt: str
    receipt_shown_after_reload: bool
    reporter_cookies: list[Cookie]
    answers_seen_by_handler: str
    case_page_seen_by_handler: str
    original_photo: bytes
    downloaded_photo: bytes
    conversation_seen_by_reporter: list[str]
    conversation_seen_by_handler: list[str]


@dataclass(frozen=True)
class Journey:
    """A completed journey: the markers typed, what was seen, and what the reporter's browser sent."""

    markers: ContentMarkers
    traces: ClientTraces
    record: JourneyRecord = field(repr=False)
    sent_by_reporter: bytes = field(repr=False)  # every byte the reporter's browser sent the server
    reporter_addresses_seen_by_server: set[str]


def _reporter_context(browser: Browser, *, base_url: str, traces: ClientTraces) -> BrowserContext:
    return browser.new_context(
        base_url=base_url,
        java_script_enabled=False,
        user_agent=traces.user_agent,
        extra_http_headers=traces.identifying_headers,
    )


def run_journey(
    *,
    browser: Browser,
    server_url: str,
    reporter_url: str,
    staff_password: str,
    markers: ContentMarkers,
    traces: ClientTraces,
) -> JourneyRecord:
    """Report, read, download, reply, answer: every step through the real pages."""
    texts = Texts.around(markers)
    photo = photo_with_exif(markers.camera_model)

    reporter = _reporter_context(browser, base_url=reporter_url, traces=traces)
    form = HomePage.open(reporter.new_page(), referrer=traces.referrer).choose_report_form(seed.CHANNEL_NAME)
    form.answer(seed.WHAT_LABEL, texts.what)
    form.answer(seed.WHERE_LABEL, texts.where)
    form.choose(seed.KIND_CHOICES[0])
    form.attach(seed.FILES_LABEL, name=texts.file_name, content=photo, mime_type="image/jpeg")
    form.give_identity(texts.identity)
    receipt_page = form.send()
    receipt = receipt_page.receipt()
    reporter_cookies = reporter.cookies()
    receipt_shown_after_reload = receipt_page.receipt_is_shown_after_reload()
    reporter.close()

    staff = browser.new_context(base_url=server_url)
    queue = StaffLoginPage.open(staff.new_page()).log_in(seed.HANDLER, staff_password)
    case = queue.open_the_only_report()
    answers_seen_by_handler = case.answers()
    case_page_seen_by_handler = case.text()
    downloaded_photo = case.download(texts.file_name)
    case.send_to_reporter(texts.reply)

    returning = _reporter_context(browser, base_url=reporter_url, traces=traces)
    login = HomePage.open(returning.new_page()).go_to_check_your_report()
    portal = login.log_in_refused("0000 0000 0000 0000").log_in(receipt)
    conversation_seen_by_reporter = portal.conversation()
    portal.write_to_handler(texts.reporter_answer)
    returning.close()

    conversation_seen_by_handler = case.conversation_after_reload()
    staff.close()
    return JourneyRecord(
        receipt=receipt,
        receipt_shown_after_reload=receipt_shown_after_reload,
        reporter_cookies=reporter_cookies,
        answers_seen_by_handler=answers_seen_by_handler,
        case_page_seen_by_handler=case_page_seen_by_handler,
        original_photo=photo,
        downloaded_photo=downloaded_photo,
        conversation_seen_by_reporter=conversation_seen_by_reporter,
        conversation_seen_by_handler=conversation_seen_by_handler,
    )
