"""Nothing waits unseen: a new report is marked unread for each handler until they open it,
and the alert digest reaches staff over real SMTP, the same size every time and with no
report content, reference or channel in it."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage

import pytest
from playwright.sync_api import Browser

from e2e import seed
from e2e.markers import unique
from e2e.pages import HomePage, QueuePage, StaffLoginPage
from e2e.server import REPO_ROOT, TIPLINE, Deployment
from tipline.testing import Mailbox, smtp_server, text_of

pytestmark = pytest.mark.e2e

HANDLER_ADDRESS = "handler-alerts@example.org"
# The digest body is padded to this many bytes (tipline.cases.services.alerts.BODY_BYTES).
BODY_BYTES = 2048
_SET_ADDRESS = """
import json, sys
from tipline.accounts.models import StaffUser
data = json.loads(sys.stdin.read())
StaffUser.objects.filter(username=data["username"]).update(email=data["email"])
"""
# The journey's report is destroyed once it is done (as a supervisor discards a held
# report), so that it stays out of the queues the other journeys count; the handler's
# address goes too.
_DESTROY = """
import sys
from tipline.accounts.models import StaffUser
from tipline.cases.services import retention
from tipline.register.models import Report
report = Report.objects.get(reference=sys.stdin.read().strip())
Report.objects.filter(pk=report.pk).update(quarantine="too_large")
assert retention.discard_held(report=report, by=StaffUser.objects.get(username="supervisor"))
StaffUser.objects.filter(username="handler").update(email="")
"""
_QUEUE_DIGEST = """
import sys
from tipline.cases.services import alerts
alerts.queue_digest(slot=sys.stdin.read().strip())
"""


@dataclass(frozen=True)
class AlertsRecord:
    reference: str
    marker: str
    handler_marks_before: set[str]
    handler_marks_after_opening: set[str]
    supervisor_marks_after_handler_opened: set[str]
    searched_rows: list[str]
    digests: list[EmailMessage]


def _send_report(browser: Browser, deployment: Deployment, what: str) -> None:
    context = browser.new_context(base_url=deployment.server.url, java_script_enabled=False)
    try:
        form = HomePage.open(context.new_page()).choose_report_form(seed.CHANNEL_NAME)
        form.answer(seed.WHAT_LABEL, what)
        form.choose(seed.KIND_CHOICES[0])
        form.send().receipt()
    finally:
        context.close()


def _log_in(browser: Browser, deployment: Deployment, username: str) -> QueuePage:
    context = browser.new_context(base_url=deployment.server.url)
    login = StaffLoginPage.open(context.new_page())
    return login.log_in(username, deployment.staff_password, deployment.authenticators[username])


def _digest(deployment: Deployment, port: int, slot: str) -> None:
    """Queue a digest as its scheduled job does, then let ``tipline worker --once`` send it."""
    server = deployment.server
    server.run_command(str(TIPLINE), "shell", "-c", _QUEUE_DIGEST, stdin=slot)
    environment = {**server.environment(), "TIPLINE_SMTP_HOST": "127.0.0.1", "TIPLINE_SMTP_PORT": str(port)}
    subprocess.run([str(TIPLINE), "worker", "--once"], env=environment, cwd=REPO_ROOT, check=True, capture_output=True)


def _run(browser: Browser, deployment: Deployment, mailbox: Mailbox, port: int) -> AlertsRecord:
    deployment.server.run_command(
        str(TIPLINE),
        "shell",
        "-c",
        _SET_ADDRESS,
        stdin=json.dumps({"username": seed.HANDLER, "email": HANDLER_ADDRESS}),
    )
    handler, supervisor = _log_in(browser, deployment, seed.HANDLER), _log_in(browser, deployment, seed.SUPERVISOR)
    try:
        _digest(deployment, port, "e2e-before")
        before = {row.reference for row in QueuePage.open(handler.page).rows()}
        marker = unique("ALERTmarker")
        _send_report(browser, deployment, f"Die Kasse stimmt nicht — 账目不对. {marker}")
        handler = QueuePage.open(handler.page)
        new = [row.reference for row in handler.rows() if row.reference not in before]
        assert len(new) == 1, new
        reference = new[0]
        try:
            return _look(
                deployment=deployment,
                mailbox=mailbox,
                port=port,
                handler=handler,
                supervisor=supervisor,
                reference=reference,
                marker=marker,
            )
        finally:
            deployment.server.run_command(str(TIPLINE), "shell", "-c", _DESTROY, stdin=reference)
    finally:
        handler.page.context.close()
        supervisor.page.context.close()


def _look(
    *,
    deployment: Deployment,
    mailbox: Mailbox,
    port: int,
    handler: QueuePage,
    supervisor: QueuePage,
    reference: str,
    marker: str,
) -> AlertsRecord:
    marks_before = handler.marks(reference)
    case = handler.open_report(reference)
    assert marker in case.answers()
    handler = QueuePage.open(case.page)
    marks_after = handler.marks(reference)
    supervisor = QueuePage.open(supervisor.page)
    supervisor_marks = supervisor.marks(reference)
    searched = [row.reference for row in supervisor.find(reference.lower()).rows()]
    _digest(deployment, port, "e2e-after")
    return AlertsRecord(
        reference=reference,
        marker=marker,
        handler_marks_before=marks_before,
        handler_marks_after_opening=marks_after,
        supervisor_marks_after_handler_opened=supervisor_marks,
        searched_rows=searched,
        digests=mailbox.to(HANDLER_ADDRESS),
    )


@pytest.fixture(scope="module")
def alerts_journey(deployment: Deployment, browser: Browser) -> Iterator[AlertsRecord]:
    with smtp_server() as (mailbox, port):
        try:
            yield _run(browser, deployment, mailbox, port)
        except Exception as error:
            error.add_note(deployment.server.log_tail())
            raise


def test_a_new_report_is_unread_until_the_handler_opens_it(alerts_journey: AlertsRecord) -> None:
    assert "unread" in alerts_journey.handler_marks_before
    assert "unread" not in alerts_journey.handler_marks_after_opening


def test_the_unread_marker_is_each_persons_own(alerts_journey: AlertsRecord) -> None:
    assert "unread" in alerts_journey.supervisor_marks_after_handler_opened


def test_the_queue_finds_a_report_by_its_reference(alerts_journey: AlertsRecord) -> None:
    assert alerts_journey.searched_rows == [alerts_journey.reference]


def test_a_digest_arrives_at_every_slot_with_no_content_and_one_size(alerts_journey: AlertsRecord) -> None:
    digests = alerts_journey.digests
    assert len(digests) >= 2, "one before the report and one after it"
    sizes = set()
    for message in digests:
        body = text_of(message).replace("\r\n", "\n")
        raw = message.as_string()
        assert alerts_journey.reference not in raw
        assert alerts_journey.marker not in raw
        assert seed.CHANNEL_NAME not in raw
        assert "/staff/login/" in body
        assert len(body.encode()) == BODY_BYTES
        sizes.add((len(body.encode()), str(message["Subject"])))
    assert len(sizes) == 1, sizes
