"""One report's life in the console, followed by its reporter (JavaScript off).

A supervisor assigns the report to a caseworker who receives no channel, the
caseworker acknowledges it, asks for the reporter's identity, a supervisor
approves, the caseworker reads the identity and closes the report. Between the
steps the reporter logs in with the receipt and looks at the portal.
"""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Browser, BrowserContext

from e2e import seed
from e2e.journey import BrowserWatch
from e2e.markers import unique
from e2e.pages import HomePage, PortalPage, QueuePage, QueueRow, StaffLoginPage
from e2e.server import Deployment

OUTCOME = "Substantiated"


@dataclass(frozen=True)
class CaseMarkers:
    """What the reporter and the staff write in this journey: none of it may rest in clear."""

    what: str
    identity: str
    disclosure_reason: str
    closing_reason: str

    @classmethod
    def new(cls) -> CaseMarkers:
        return cls(
            what=unique("CASEWHATmarker"),
            identity=unique("CASEIDENTITYmarker"),
            disclosure_reason=unique("DISCLOSUREmarker"),
            closing_reason=unique("CLOSINGmarker"),
        )

    def by_name(self) -> dict[str, str]:
        return {
            "what": self.what,
            "identity": self.identity,
            "disclosure reason": self.disclosure_reason,
            "closing reason": self.closing_reason,
        }


@dataclass(frozen=True)
class CaseTexts:
    """What people type, each carrying its marker amid non-ASCII prose."""

    what: str
    identity: str
    disclosure_reason: str
    closing_reason: str

    @classmethod
    def around(cls, markers: CaseMarkers) -> CaseTexts:
        return cls(
            what=f"Im Lager der Kantine liegt verdorbenes Fleisch — 变质的肉. {markers.what}",
            identity=f"Jiří Dvořák, Küche, +420 601 000 000 {markers.identity}",
            disclosure_reason=f"Wir müssen ihn als Zeugen laden — 证人. {markers.disclosure_reason}",
            closing_reason=f"Kontrolle bestätigt, Lieferant gesperrt. {markers.closing_reason}",
        )


@dataclass(frozen=True)
class PortalView:
    """What the reporter sees after logging in with the receipt."""

    status: str
    conversation: list[str]
    outcome: str | None
    disclosure_reasons: list[str]


@dataclass(frozen=True)
class ConsoleJourneyRecord:
    reference: str
    receipt: str
    new_before_the_report: int
    new_after_the_report: int
    new_after_acknowledgement: int
    supervisor_sees: list[QueueRow]  # the queue of the safety channel, before assigning
    caseworker_sees_before_assignment: list[QueueRow]
    caseworker_sees_after_assignment: list[QueueRow]
    assignee_shown_to_supervisor: str
    identity_section_before_approval: str
    identity_seen_by_caseworker: str
    case_status_after_closing: str
    reporter_after_acknowledgement: PortalView
    reporter_after_disclosure: PortalView
    reporter_after_closing: PortalView
    audit_actions: list[str]  # oldest first
    reporter_browser: BrowserWatch
    staff_browser: BrowserWatch


@dataclass
class _Parties:
    browser: Browser
    deployment: Deployment
    reporter_browser: BrowserWatch
    staff_browser: BrowserWatch

    def reporter(self) -> BrowserContext:
        context = self.browser.new_context(base_url=self.deployment.server.url, java_script_enabled=False)
        return self.reporter_browser.watch(context)

    def log_in_staff(self, username: str) -> QueuePage:
        context = self.staff_browser.watch(self.browser.new_context(base_url=self.deployment.server.url))
        login = StaffLoginPage.open(context.new_page())
        return login.log_in(username, self.deployment.staff_password, self.deployment.authenticators[username])

    def create_report(self, texts: CaseTexts) -> str:
        """The reporter sends a tip with an identity; the receipt comes back."""
        context = self.reporter()
        try:
            form = HomePage.open(context.new_page()).choose_report_form(seed.SAFETY_CHANNEL_NAME)
            form.answer(seed.WHAT_LABEL, texts.what)
            form.choose(seed.KIND_CHOICES[1])
            form.give_identity(texts.identity)
            return form.send().receipt()
        finally:
            context.close()

    def reporter_looks(self, receipt: str) -> PortalView:
        """The reporter comes back later, logs in with the receipt and reads the portal."""
        context = self.reporter()
        try:
            portal: PortalPage = HomePage.open(context.new_page()).go_to_check_your_report().log_in(receipt)
            return PortalView(
                status=portal.status(),
                conversation=portal.conversation(),
                outcome=portal.outcome(),
                disclosure_reasons=portal.disclosure_reasons(),
            )
        finally:
            context.close()


def run_console_journey(*, browser: Browser, deployment: Deployment, markers: CaseMarkers) -> ConsoleJourneyRecord:
    """Every step through the real pages; each party in a browser context of their own."""
    texts = CaseTexts.around(markers)
    parties = _Parties(
        browser=browser, deployment=deployment, reporter_browser=BrowserWatch(), staff_browser=BrowserWatch()
    )
    supervisor_queue = parties.log_in_staff(seed.SUPERVISOR)
    caseworker_queue = parties.log_in_staff(seed.CASEWORKER)
    try:
        return _run(parties, texts, supervisor_queue=supervisor_queue, caseworker_queue=caseworker_queue)
    finally:
        supervisor_queue.page.context.close()
        caseworker_queue.page.context.close()


def _run(
    parties: _Parties, texts: CaseTexts, *, supervisor_queue: QueuePage, caseworker_queue: QueuePage
) -> ConsoleJourneyRecord:
    new_before_the_report = supervisor_queue.count_of_new()

    receipt = parties.create_report(texts)

    caseworker_sees_before_assignment = QueuePage.open(caseworker_queue.page).rows()
    supervisor_queue = QueuePage.open(supervisor_queue.page)
    new_after_the_report = supervisor_queue.count_of_new()
    supervisor_queue = supervisor_queue.only_channel(seed.SAFETY_CHANNEL_NAME)
    supervisor_sees = supervisor_queue.rows()
    reference = _the_only(supervisor_sees).reference
    supervisor_case = supervisor_queue.open_report(reference)
    supervisor_case.assign_to(seed.CASEWORKER)
    assignee_shown_to_supervisor = supervisor_case.assigned_to()

    caseworker_queue = QueuePage.open(caseworker_queue.page)
    caseworker_sees_after_assignment = caseworker_queue.rows()
    case = caseworker_queue.open_report(reference)
    case.acknowledge()

    supervisor_queue = QueuePage.open(supervisor_case.page)
    new_after_acknowledgement = supervisor_queue.count_of_new()
    supervisor_case = supervisor_queue.open_report(reference)

    reporter_after_acknowledgement = parties.reporter_looks(receipt)

    identity_section_before_approval = case.identity_section()
    case.ask_for_identity(texts.disclosure_reason)
    supervisor_case.reload().approve_identity_request(texts.disclosure_reason)
    identity_page = case.reload().show_identity()
    identity_seen_by_caseworker = identity_page.identity()
    case = identity_page.back_to_the_report()

    reporter_after_disclosure = parties.reporter_looks(receipt)

    case.close(outcome=OUTCOME, reason=texts.closing_reason)
    case_status_after_closing = case.status()

    reporter_after_closing = parties.reporter_looks(receipt)

    audit_actions = supervisor_case.reload().open_audit_trail().actions()
    return ConsoleJourneyRecord(
        reference=reference,
        receipt=receipt,
        new_before_the_report=new_before_the_report,
        new_after_the_report=new_after_the_report,
        new_after_acknowledgement=new_after_acknowledgement,
        supervisor_sees=supervisor_sees,
        caseworker_sees_before_assignment=caseworker_sees_before_assignment,
        caseworker_sees_after_assignment=caseworker_sees_after_assignment,
        assignee_shown_to_supervisor=assignee_shown_to_supervisor,
        identity_section_before_approval=identity_section_before_approval,
        identity_seen_by_caseworker=identity_seen_by_caseworker,
        case_status_after_closing=case_status_after_closing,
        reporter_after_acknowledgement=reporter_after_acknowledgement,
        reporter_after_disclosure=reporter_after_disclosure,
        reporter_after_closing=reporter_after_closing,
        audit_actions=audit_actions,
        reporter_browser=parties.reporter_browser,
        staff_browser=parties.staff_browser,
    )


def _the_only(rows: list[QueueRow]) -> QueueRow:
    if len(rows) != 1:
        msg = f"expected the one new report of the safety channel, the queue lists {rows}"
        raise AssertionError(msg)
    return rows[0]
