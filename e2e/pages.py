"""Page objects: what a reporter and a handler see and do, in their words.

Questions are found by the labels the seeded questionnaire gives them; the
app's own fields by their form names; buttons and links by their text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Locator, Page, expect

from e2e.authenticator import Authenticator


def _region(page: Page, heading: str) -> Locator:
    return page.get_by_role("region", name=heading, exact=True)


def _label(text: str) -> re.Pattern[str]:
    """A form label, with or without the colon Django adds after it."""
    return re.compile(rf"^{re.escape(text)}:?$")


def _question(text: str) -> re.Pattern[str]:
    """A question's label, marked "(required)" or not."""
    return re.compile(rf"^{re.escape(text)}( \(required\))?$")


def _strong_after(page: Page, lead: str) -> Locator:
    """The emphasised value of a line such as "Status: <strong>Closed</strong>"."""
    return page.get_by_role("main").locator("p").filter(has_text=re.compile(rf"^{re.escape(lead)}")).locator("strong")


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
        """Main menu "Report", then the form's link in the list of ways to report (with one
        form open, "Report" leads straight to it)."""
        self._main_navigation("Report").click()
        if not urlsplit(self.page.url).path.startswith("/report/") or urlsplit(self.page.url).path == "/report/":
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
        self.page.get_by_label(_question(question)).fill(text)

    def choose(self, option: str) -> None:
        self.page.get_by_label(option, exact=True).check()

    def attach(self, question: str, *, name: str, content: bytes, mime_type: str) -> None:
        self.page.get_by_label(_question(question)).set_input_files(
            {"name": name, "mimeType": mime_type, "buffer": content}
        )

    def give_identity(self, text: str) -> None:
        self.page.locator("textarea[name=identity]").fill(text)

    def send(self) -> ReceiptPage:
        self.page.get_by_role("button", name="Send report", exact=True).click()
        return ReceiptPage(self.page)

    def send_refused(self) -> ReportFormPage:
        """A send the server refuses (an answer missing): the form comes back, problems first."""
        self.page.get_by_role("button", name="Send report", exact=True).click()
        expect(self.page.get_by_role("alert").filter(has_text="There is a problem")).to_be_visible()
        return self

    def problems(self) -> list[str]:
        """The links of the error summary, in order."""
        return self.page.get_by_role("alert").get_by_role("link").all_inner_texts()

    def kept_files(self) -> list[str]:
        """The files a refused send kept for this retry."""
        return self.page.locator(".kept-files .file-name").all_inner_texts()

    def remove_kept(self, name: str) -> None:
        self.page.get_by_role("button", name=f"Remove {name}", exact=True).click()


class ReceiptPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        expect(page).to_have_url(re.compile(r"/receipt/$"))

    def receipt(self) -> str:
        return self.page.locator("#receipt").inner_text().strip()

    def receipt_is_shown_after_reload(self) -> bool:
        self.page.reload()
        return self.page.locator("#receipt").count() > 0

    def written_down(self) -> PortalPage:
        """The way on: the reporter says the receipt is written down; it is not shown again."""
        self.page.get_by_role("button", name="I have written down my receipt", exact=True).click()
        return PortalPage(self.page)


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

    def status(self) -> str:
        return self.page.locator("#status-heading .status").inner_text().strip()

    def reply_box(self) -> str:
        return self.page.locator("textarea[name=body]").input_value()

    def log_out(self) -> ReceiptLoginPage:
        self.page.get_by_role("button", name="Log out", exact=True).first.click()
        return ReceiptLoginPage(self.page)

    def outcome(self) -> str | None:
        """The outcome line, shown once the report is closed."""
        outcome = _strong_after(self.page, "Outcome:")
        return outcome.inner_text().strip() if outcome.count() else None

    def disclosure_reasons(self) -> list[str]:
        """The reason given with each approved disclosure of the reporter's identity."""
        notices = self.page.get_by_role("region", name="Your identity was disclosed to a handler", exact=True)
        return [text.strip() for text in notices.locator("blockquote").all_inner_texts()]

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
        self.sign_in(username, password, authenticator)
        return QueuePage(self.page)

    def sign_in(self, username: str, password: str, authenticator: Authenticator) -> None:
        """Both steps of the log-in, landing wherever the site sends this person."""
        self.page.locator("input[name=username]").fill(username)
        self.page.locator("input[name=password]").fill(password)
        self.page.get_by_role("button", name="Log in", exact=True).click()
        self.page.wait_for_url(lambda url: urlsplit(url).path != LOGIN_PATH)
        if urlsplit(self.page.url).path == SECOND_STEP_PATH:
            self.page.locator("input[name=code]").fill(authenticator.code())
            self.page.get_by_role("button", name="Continue", exact=True).click()
            self.page.wait_for_url(lambda url: urlsplit(url).path != SECOND_STEP_PATH)


@dataclass(frozen=True)
class QueueRow:
    reference: str
    channel: str
    status: str
    assigned_to: str


class QueuePage:
    def __init__(self, page: Page) -> None:
        self.page = page
        expect(page).to_have_url(re.compile(r"/console/(\?.*)?$"))
        expect(page.get_by_role("heading", name="Reports", exact=True)).to_be_visible()

    @classmethod
    def open(cls, page: Page) -> QueuePage:
        """Back to the queue through the console's menu."""
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports", exact=True).click()
        page.wait_for_url(re.compile(r"/console/$"))
        return cls(page)

    def count_of_new(self) -> int:
        """The "N new" figure above the list, over every report this person may see."""
        count = self.page.get_by_role("link", name=re.compile(r"^\d+ new$"))
        return int(count.inner_text().split()[0])

    def only_channel(self, channel_name: str) -> QueuePage:
        box = self.page.locator("details.filters-box")
        if box.get_attribute("open") is None:
            box.locator("summary").click()  # the filters fold away to leave room for the rows
        filters = self.page.get_by_role("form", name="Filter the reports", exact=True)
        filters.get_by_label(_label("Channel")).select_option(label=channel_name)
        filters.get_by_role("button", name="Apply", exact=True).click()
        self.page.wait_for_url(re.compile(r"[?&]channel=\d+"))
        return QueuePage(self.page)

    def rows(self) -> list[QueueRow]:
        table = self.page.get_by_role("table")
        columns = [text.strip() for text in table.get_by_role("columnheader").all_inner_texts()]
        rows = []
        for row in table.locator("tbody").get_by_role("row").all():
            cells = [text.strip() for text in row.get_by_role("cell").all_inner_texts()]
            if len(cells) != len(columns):
                continue  # "No reports match."
            by_column = dict(zip(columns, cells, strict=True))
            rows.append(
                QueueRow(
                    reference=row.get_by_role("link").first.inner_text().strip(),
                    channel=by_column["Channel"],
                    status=by_column["Status"],
                    assigned_to=by_column["Assigned to"],
                )
            )
        return rows

    def marks(self, reference: str) -> set[str]:
        """The marks beside a report's reference for this person ("unread", "reporter replied")."""
        row = (
            self.page.get_by_role("table")
            .locator("tbody tr")
            .filter(has=self.page.get_by_role("link", name=reference, exact=True))
        )
        return {text.strip() for text in row.locator(".mark").all_inner_texts()}

    def find(self, reference: str) -> QueuePage:
        """The search by reference above the list."""
        search = self.page.get_by_role("search", name="Find a report by its reference")
        search.get_by_label("Reference", exact=True).fill(reference)
        search.get_by_role("button", name="Find", exact=True).click()
        self.page.wait_for_url(re.compile(r"[?&]reference="))
        return QueuePage(self.page)

    def open_report(self, reference: str) -> CasePage:
        self.page.get_by_role("table").get_by_role("link", name=reference, exact=True).click()
        return CasePage(self.page)

    def open_the_only_report(self) -> CasePage:
        links = self.page.get_by_role("table").get_by_role("link")
        expect(links).to_have_count(1)
        links.click()
        return CasePage(self.page)


class CasePage:
    def __init__(self, page: Page) -> None:
        self.page = page
        # After an action the page comes back to its place: a fragment such as #actions.
        expect(page).to_have_url(re.compile(r"/console/reports/[^/]+/(#[\w-]+)?$"))

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

    def reload(self) -> CasePage:
        self.page.reload()
        return CasePage(self.page)

    def status(self) -> str:
        return self.page.locator("#status").inner_text().strip()

    def _assigned_to(self) -> Locator:
        return self.page.locator("dt", has_text="Assigned to").locator("xpath=following-sibling::dd[1]")

    def assigned_to(self) -> str:
        return self._assigned_to().inner_text().strip()

    def _actions(self) -> Locator:
        return _region(self.page, "Actions")

    def assign_to(self, handler: str) -> None:
        """Supervisors only: the report key is sealed to the handler chosen."""
        self._actions().get_by_label(_label("Handler")).select_option(label=handler)
        self._actions().get_by_role("button", name="Assign", exact=True).click()
        expect(self._assigned_to()).to_have_text(handler)

    def acknowledge(self) -> None:
        self._actions().get_by_role("button", name="Acknowledge (tells the reporter)", exact=True).click()
        expect(self.page.locator("#status")).to_have_text("Acknowledged")

    def close(self, *, outcome: str, reason: str) -> None:
        summary = self.page.locator("summary", has_text="Close the report")
        closing = self._actions().locator("details").filter(has=summary)
        summary.click()
        closing.get_by_label(_label("Outcome")).select_option(label=outcome)
        closing.get_by_label(_label("Reason")).fill(reason)
        closing.get_by_role("button", name="Close", exact=True).click()
        expect(self.page.locator("#status")).to_have_text("Closed")

    def open_audit_trail(self) -> AuditTrailPage:
        self._actions().get_by_role("link", name="Audit trail of this report", exact=True).click()
        return AuditTrailPage(self.page)

    def _identity(self) -> Locator:
        return _region(self.page, "Reporter's identity")

    def identity_section(self) -> str:
        return self._identity().inner_text()

    def ask_for_identity(self, reason: str) -> None:
        """A handler without access writes why; the request waits for a supervisor."""
        self._identity().get_by_label(_label("Why you need the reporter's identity")).fill(reason)
        self._identity().get_by_role("button", name="Ask for the identity", exact=True).click()
        expect(self._disclosure_request(reason)).to_contain_text("Waiting for a supervisor")

    def _disclosure_request(self, reason: str) -> Locator:
        return self._identity().locator("div").filter(has_text=reason)

    def approve_identity_request(self, reason: str) -> None:
        """Supervisors only: the request with this reason."""
        self._disclosure_request(reason).get_by_role("button", name="Approve", exact=True).click()
        expect(self._disclosure_request(reason)).to_contain_text("Approved")

    def show_identity(self) -> IdentityPage:
        self._identity().get_by_role("button", name="Show the identity (recorded in the audit trail)").click()
        return IdentityPage(self.page)


class IdentityPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        expect(page).to_have_url(re.compile(r"/console/reports/[^/]+/identity/$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Reporter's identity")

    def identity(self) -> str:
        return self.page.locator(".identity-box").inner_text()

    def back_to_the_report(self) -> CasePage:
        self.page.get_by_role("link", name="Back to the report", exact=True).click()
        return CasePage(self.page)


class AuditTrailPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        expect(page).to_have_url(re.compile(r"/console/reports/[^/]+/audit/$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Audit trail")

    def actions(self) -> list[str]:
        """The code of what was done (shown under its name), oldest first (the page lists the newest first)."""
        table = self.page.get_by_role("table")
        columns = [text.strip() for text in table.get_by_role("columnheader").all_inner_texts()]
        what = columns.index("What")
        rows = table.locator("tbody").get_by_role("row").all()
        return [row.get_by_role("cell").nth(what).locator("code").inner_text().strip() for row in reversed(rows)]
