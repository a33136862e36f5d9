"""Page objects: what a reporter and a handler see and do, in their words.

Questions are found by the labels the seeded questionnaire gives them; the
app's own fields by their form names; buttons and links by their text.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Locator, Page, expect

from e2e.authenticator import Authenticator


def _region(page: Page, heading: str) -> Locator:
    return page.get_by_role("region", name=heading, exact=True)


# ---------------------------------------------------------------- reporter side (JavaScript off)


class HomePage:
    def __init__(self, page: Page) -> None:
        self.page = page

    @classmethod
    def open(cls, page: Page, *, referrer: str | None = None) -> HomePage:
        page.goto("/", referer=referrer)
        return cls(page)

    def _main_navigation(self, link: str) -> Locator:
        return self.page.get_by_role("navigation", name="Main").get_by_role("link", name=link, exact=True)

    def choose_report_form(self, channel_name: str) -> ReportFormPage:
        """Main menu "Report", then the form's link in the list of ways to report."""
        self._main_navigation("Report").click()
        self.page.get_by_role("main").get_by_role("link", name=channel_name, exact=True).click()
        return ReportFormPage(self.page, channel_name)

    def go_to_check_your_report(self) -> ReceiptLoginPage:
        self._main_navigation("Check your report").click()
        return ReceiptLoginPage(self.page)


class ReportFormPage:
    def __init__(self, page: Page, channel_name: str) -> None:
        self.page = page
        expect(page.get_by_role("heading", level=1)).to_have_text(channel_name)

    def answer(self, question: str, text: str) -> None:
        self.page.get_by_label(question, exact=True).fill(text)

    def choose(self, option: str) -> None:
        self.page.get_by_label(option, exact=True).check()

    def attach(self, question: str, *, name: str, content: bytes, mime_type: str) -> None:
        self.page.get_by_label(question, exact=True).set_input_files(
            {"name": name, "mimeType": mime_type, "buffer": content}
        )

    def give_identity(self, text: str) -> None:
        self.page.locator("textarea[name=identity]").fill(text)

    def send(self) -> ReceiptPage:
        self.page.get_by_role("button", name="Send report", exact=True).click()
        return ReceiptPage(self.page)


class ReceiptPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        expect(page).to_have_url(re.compile(r"/receipt/$"))

    def receipt(self) -> str:
        return self.page.locator("#receipt").inner_text().strip()

    def receipt_is_shown_after_reload(self) -> bool:
        self.page.reload()
        return self.page.locator("#receipt").count() > 0


class ReceiptLoginPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        expect(page).to_have_url(re.compile(r"/portal/$"))

    def _submit(self, receipt: str) -> None:
        self.page.locator("input[name=receipt]").fill(receipt)
        self.page.get_by_role("button", name="Log in", exact=True).click()

    def log_in_refused(self, receipt: str) -> ReceiptLoginPage:
        """A mistyped receipt: the same page comes back with an error next to the field."""
        self._submit(receipt)
        expect(self.page.locator("input[name=receipt][aria-invalid=true]")).to_have_count(1)
        return self

    def log_in(self, receipt: str) -> PortalPage:
        self._submit(receipt)
        return PortalPage(self.page)


class PortalPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        expect(page).to_have_url(re.compile(r"/portal/report/$"))

    def conversation(self) -> list[str]:
        return _region(self.page, "Conversation").get_by_role("article").all_inner_texts()

    def write_to_handler(self, text: str) -> None:
        self.page.locator("textarea[name=body]").fill(text)
        self.page.get_by_role("button", name="Send", exact=True).click()
        expect(_region(self.page, "Conversation").get_by_role("article").filter(has_text=text)).to_be_visible()


# ---------------------------------------------------------------- staff side (JavaScript on)


LOGIN_PATH = "/staff/login/"
SECOND_STEP_PATH = "/staff/login/code/"


class StaffLoginPage:
    def __init__(self, page: Page) -> None:
        self.page = page

    @classmethod
    def open(cls, page: Page) -> StaffLoginPage:
        page.goto(LOGIN_PATH)
        return cls(page)

    def log_in(self, username: str, password: str, authenticator: Authenticator) -> QueuePage:
        """The password, then a code from the authenticator app when the site asks for one."""
        self.page.locator("input[name=username]").fill(username)
        self.page.locator("input[name=password]").fill(password)
        self.page.get_by_role("button", name="Log in", exact=True).click()
        self.page.wait_for_url(lambda url: urlsplit(url).path != LOGIN_PATH)
        if urlsplit(self.page.url).path == SECOND_STEP_PATH:
            self.page.locator("input[name=code]").fill(authenticator.code())
            self.page.get_by_role("button", name="Continue", exact=True).click()
        return QueuePage(self.page)


class QueuePage:
    def __init__(self, page: Page) -> None:
        self.page = page
        expect(page).to_have_url(re.compile(r"/console/$"))
        expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()

    def open_the_only_report(self) -> CasePage:
        links = self.page.get_by_role("table").get_by_role("link")
        expect(links).to_have_count(1)
        links.click()
        return CasePage(self.page)


class CasePage:
    def __init__(self, page: Page) -> None:
        self.page = page
        expect(page).to_have_url(re.compile(r"/console/reports/[^/]+/$"))

    def answers(self) -> str:
        return self.page.get_by_role("region", name="Answers", exact=True).inner_text()

    def text(self) -> str:
        return self.page.get_by_role("main").inner_text()

    def download(self, file_name: str) -> bytes:
        with self.page.expect_download() as download:
            self.page.get_by_role("link", name=file_name, exact=True).click()
        return Path(download.value.path()).read_bytes()

    def _conversation(self) -> Locator:
        return _region(self.page, "Conversation with the reporter")

    def send_to_reporter(self, text: str) -> None:
        self._conversation().locator("textarea[name=body]").fill(text)
        self._conversation().get_by_role("button", name="Send to the reporter", exact=True).click()
        expect(self._conversation().get_by_role("article").filter(has_text=text)).to_be_visible()

    def conversation_after_reload(self) -> list[str]:
        self.page.reload()
        return self._conversation().get_by_role("article").all_inner_texts()
