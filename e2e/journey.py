"""The whole conversation: a reporter with JavaScript off, a handler with it on."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Cookie

from e2e import seed
from e2e.authenticator import Authenticator
from e2e.markers import ClientTraces, ContentMarkers
from e2e.pages import HomePage, StaffLoginPage

CAMERA_MAKER = "MakerCorp"
PHOTO_SIZE = (64, 48)
EXIF_MAKE, EXIF_MODEL, EXIF_GPS_IFD = 0x010F, 0x0110, 0x8825
_HTTP_ERROR_STATUS = "Failed to load resource: the server responded with a status of"


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


@dataclass
class BrowserWatch:
    """Every URL a party's browser asked for, the answers with an error status, and every error its
    console reported (CSP violations included)."""

    requested_urls: list[str] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> BrowserContext:
        context.on("request", lambda request: self.requested_urls.append(request.url))
        context.on("response", lambda response: self._response(response.status, response.url))
        context.on("console", lambda message: self._console(message.type, message.text))
        return context

    def _response(self, status: int, url: str) -> None:
        if status >= 400:
            self.refused.append((status, urlsplit(url).path))

    def page_errors(self) -> list[str]:
        """Console errors other than HTTP error statuses (those are judged through ``refused``;
        Chromium's own /favicon.ico request shows up only here)."""
        return [text for text in self.console_errors if not text.startswith(_HTTP_ERROR_STATUS)]

    def _console(self, kind: str, text: str) -> None:
        if kind == "error":
            self.console_errors.append(text)


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
    reporter_browser: BrowserWatch
    handler_browser: BrowserWatch


@dataclass(frozen=True)
class Journey:
    """A completed journey: the markers typed, what was seen, and what the reporter's browser sent."""

    markers: ContentMarkers
    traces: ClientTraces
    record: JourneyRecord = field(repr=False)
    sent_by_reporter: bytes = field(repr=False)  # every byte the reporter's browser sent the server
    reporter_addresses_seen_by_server: set[str]


def _reporter_context(browser: Browser, *, base_url: str, traces: ClientTraces, watch: BrowserWatch) -> BrowserContext:
    context = browser.new_context(
        base_url=base_url,
        java_script_enabled=False,
        user_agent=traces.user_agent,
        extra_http_headers=traces.identifying_headers,
    )
    return watch.watch(context)


def run_journey(
    *,
    browser: Browser,
    server_url: str,
    reporter_url: str,
    staff_password: str,
    authenticator: Authenticator,
    markers: ContentMarkers,
    traces: ClientTraces,
) -> JourneyRecord:
    """Report, read, download, reply, answer: every step through the real pages."""
    texts = Texts.around(markers)
    photo = photo_with_exif(markers.camera_model)
    reporter_browser, handler_browser = BrowserWatch(), BrowserWatch()

    reporter = _reporter_context(browser, base_url=reporter_url, traces=traces, watch=reporter_browser)
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

    staff = handler_browser.watch(browser.new_context(base_url=server_url))
    queue = StaffLoginPage.open(staff.new_page()).log_in(seed.HANDLER, staff_password, authenticator)
    case = queue.open_the_only_report()
    answers_seen_by_handler = case.answers()
    case_page_seen_by_handler = case.text()
    downloaded_photo = case.download(texts.file_name)
    case.send_to_reporter(texts.reply)

    returning = _reporter_context(browser, base_url=reporter_url, traces=traces, watch=reporter_browser)
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
        reporter_browser=reporter_browser,
        handler_browser=handler_browser,
    )
