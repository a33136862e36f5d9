"""Unread markers per person, "reporter replied", the next deadline's kind and days left,
the reference search, the report page's anchors and the warning before an uncleaned file."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from tipline.accounts import services as accounts
from tipline.accounts.models import StaffUser
from tipline.accounts.testing import login_staff
from tipline.audit.models import AuditEntry
from tipline.audit.services import verify_chain
from tipline.cases import selectors, services
from tipline.cases.models import Exclusion, ReportSeen
from tipline.conftest import PASSWORD, Setup, csrf_token
from tipline.register import services as register
from tipline.register.models import Attachment, Report


def _submit(org: Setup, tmp_path: Path | None = None) -> register.Submission:
    version = org.channel.current_questionnaire()
    assert version is not None
    files = []
    if tmp_path is not None:
        path = tmp_path / "report.pdf.exe"
        path.write_bytes(b"MZ not cleanable")
        files = [register.IncomingFile(path=path, name="report.pdf.exe", size=16)]
    submission = register.create_report(
        channel=org.channel, questionnaire=version, answers={"what": "Tender rigging", "kind": "Fraud"}, files=files
    )
    if submission.held:
        register.release_held(report=submission.report, attachment_ids=[a.pk for a in submission.held])
    return submission


def _key(user: StaffUser) -> bytes:
    return accounts.unlock_private_key(user=user, password=PASSWORD)


def _staff(username: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    login_staff(client, username, PASSWORD)
    return client


def _row(html: str, reference: str) -> str:
    found = re.search(rf"<tr[^>]*>\s*<td[^>]*><a href=\"/console/reports/{reference}/\">.*?</tr>", html, re.S)
    assert found, f"no row for {reference}"
    return found.group(0)


def test_opening_a_report_clears_its_unread_marker_for_that_person_only(org: Setup) -> None:
    report = _submit(org).report
    handler, supervisor = _staff("handler"), _staff("supervisor")
    assert "unread" in _row(handler.get("/console/").content.decode(), report.reference)
    handler.get(f"/console/reports/{report.reference}/")
    assert "unread" not in _row(handler.get("/console/").content.decode(), report.reference)
    assert "unread" in _row(supervisor.get("/console/").content.decode(), report.reference), "per person"


def test_a_reporters_message_after_opening_is_unread_and_shows_reporter_replied(org: Setup) -> None:
    submission = _submit(org)
    report = submission.report
    handler = _staff("handler")
    handler.get(f"/console/reports/{report.reference}/")
    message = register.post_message(report=report, report_key=submission.report_key, body="More details")
    row = _row(handler.get("/console/").content.decode(), report.reference)
    assert "unread" in row
    assert "reporter replied" in row
    page = handler.get(f"/console/reports/{report.reference}/").content.decode()
    assert f'id="message-{message.pk}"' in page
    assert "new for you" in page, "the message is marked new on the opening that reads it"
    again = handler.get(f"/console/reports/{report.reference}/").content.decode()
    assert "new for you" not in again
    row = _row(handler.get("/console/").content.decode(), report.reference)
    assert "unread" not in row
    assert "reporter replied" in row, "still waiting for an answer"
    token = csrf_token(handler, f"/console/reports/{report.reference}/")
    answer = handler.post(f"/console/reports/{report.reference}/", {"csrfmiddlewaretoken": token, "body": "Thanks"})
    assert answer.status_code == 302
    assert re.fullmatch(rf"/console/reports/{report.reference}/#message-\d+", answer["Location"])
    assert "reporter replied" not in _row(handler.get("/console/").content.decode(), report.reference)


def test_someone_without_access_neither_opens_nor_marks_a_report(org: Setup) -> None:
    report = _submit(org).report
    other = _staff("other")  # a handler who is not a recipient of the channel
    assert other.get(f"/console/reports/{report.reference}/").status_code in {403, 404}
    assert not ReportSeen.objects.filter(report=report).exists()


def test_the_next_deadline_is_named_with_the_days_left(org: Setup) -> None:
    report = _submit(org).report
    today = timezone.localdate()
    deadline = selectors.next_deadline(report, today=today)
    assert deadline is not None
    assert str(deadline.kind) == "acknowledgement"
    assert deadline.days_left == 7
    Report.objects.filter(pk=report.pk).update(next_due_at=timezone.now() - dt.timedelta(days=3))
    report.refresh_from_db()
    late = selectors.next_deadline(report, today=today)
    assert late is not None
    assert late.is_overdue
    assert late.days_overdue == 3
    Report.objects.filter(pk=report.pk).update(status=Report.Status.IN_PROGRESS)
    report.refresh_from_db()
    assert str(selectors.next_deadline(report).kind) == "feedback"  # type: ignore[union-attr]
    Report.objects.filter(pk=report.pk).update(status=Report.Status.CLOSED, next_due_at=None)
    report.refresh_from_db()
    assert selectors.next_deadline(report) is None
    page = _staff("handler").get("/console/").content.decode()
    assert "—" in _row(page, report.reference)


def test_the_queue_row_says_which_deadline_and_how_many_days(org: Setup) -> None:
    report = _submit(org).report
    row = _row(_staff("handler").get("/console/").content.decode(), report.reference)
    assert "7 days left" in row
    assert "acknowledgement" in row


def test_an_automatically_acknowledged_report_stays_new_and_unread_until_opened(org: Setup) -> None:
    org.channel.auto_acknowledge = True
    org.channel.save()
    report = _submit(org).report
    handler = _staff("handler")
    queue = handler.get("/console/").content.decode()
    row = _row(queue, report.reference)
    assert "unread" in row
    assert "New" in row
    assert "first reading" in row
    assert "1 new" in queue
    handler.get(f"/console/reports/{report.reference}/")
    report.refresh_from_db()
    assert report.status == Report.Status.ACKNOWLEDGED
    assert "feedback" in _row(handler.get("/console/").content.decode(), report.reference)


def test_the_reference_search_finds_the_report_and_refuses_nonsense(org: Setup) -> None:
    first, second = _submit(org).report, _submit(org).report
    handler = _staff("handler")
    typed = f" {first.reference[:5].lower()}-{first.reference[5:]} "
    found = handler.get("/console/", {"reference": typed})
    page = found.content.decode()
    assert found.status_code == 200
    assert first.reference in page
    assert second.reference not in page
    assert "1 report matches" in page
    bad = handler.get("/console/", {"reference": "<script>"})
    assert bad.status_code == 400
    assert "only letters and digits" in bad.content.decode()


def test_the_queue_counts_its_matches_up_to_a_bound(org: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(3):
        _submit(org)
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 2)
    page = _staff("supervisor").get("/console/").content.decode()
    assert "more than 2 reports match" in page


def test_an_uncleaned_file_is_downloaded_only_after_a_warning(org: Setup, tmp_path: Path) -> None:
    report = _submit(org, tmp_path).report
    attachment = Attachment.objects.get(report=report)
    handler = _staff("handler")
    warning = handler.get(f"/console/files/{attachment.pk}/")
    assert warning.status_code == 200
    text = warning.content.decode()
    assert "report.pdf.exe" in text
    assert "not cleaned" in text
    assert 'href="?confirm=1"' in text
    download = handler.get(f"/console/files/{attachment.pk}/", {"confirm": "1"})
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"MZ not cleanable"  # type: ignore[attr-defined]
    stranger = _staff("other")
    assert stranger.get(f"/console/files/{attachment.pk}/").status_code in {403, 404}


def test_an_action_returns_to_its_place_on_the_page(org: Setup) -> None:
    report = _submit(org).report
    handler = _staff("handler")
    token = csrf_token(handler, f"/console/reports/{report.reference}/")
    noted = handler.post(f"/console/reports/{report.reference}/note/", {"csrfmiddlewaretoken": token, "body": "x"})
    assert noted["Location"].endswith("#notes")
    acknowledged = handler.post(f"/console/reports/{report.reference}/acknowledge/", {"csrfmiddlewaretoken": token})
    assert acknowledged["Location"].endswith("#actions")


def test_the_report_page_leads_with_the_answers_and_the_conversation(org: Setup) -> None:
    report = _submit(org).report
    page = _staff("handler").get(f"/console/reports/{report.reference}/").content.decode()
    answers, conversation, actions = (page.index(f'id="{part}"') for part in ("answers", "conversation", "actions"))
    assert answers < conversation < actions


def test_flash_messages_have_their_level(org: Setup) -> None:
    report = _submit(org).report
    handler = _staff("handler")
    token = csrf_token(handler, f"/console/reports/{report.reference}/")
    handler.post(f"/console/reports/{report.reference}/note/", {"csrfmiddlewaretoken": token, "body": "x"})
    page = handler.get(f"/console/reports/{report.reference}/").content.decode()
    assert 'class="flash-message flash-success" role="status"' in page
    refused = handler.post("/console/alerts/", {"csrfmiddlewaretoken": token, "mode": "loud"})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert 'class="flash-message flash-error" role="alert"' in text
    assert "Error:" in text


def test_the_queue_shows_a_subject_only_to_someone_who_holds_the_key(org: Setup) -> None:
    report = _submit(org).report
    assert "Fraud" in _row(_staff("handler").get("/console/").content.decode(), report.reference)
    assert "Fraud" in _row(_staff("supervisor").get("/console/").content.decode(), report.reference)
    seen = AuditEntry.objects.filter(action="queue.subject", actor=org.handler, report_ref=report.reference)
    assert seen.count() == 1
    _staff("handler").get("/console/")
    assert seen.count() == 1, "once per person and report"
    assert verify_chain() == AuditEntry.objects.count()
    admin = _staff("admin")  # sees every report's metadata, holds no report key
    row = _row(admin.get("/console/").content.decode(), report.reference)
    assert "Fraud" not in row
    assert "Tender" not in row


def test_an_excluded_supervisor_gets_no_subject(org: Setup) -> None:
    first, second = _submit(org).report, _submit(org).report
    Exclusion.objects.create(report=first, user=org.supervisor)
    subjects = services.queue_subjects(reports=[first, second], user=org.supervisor, private_key=_key(org.supervisor))
    assert subjects == {second.pk: "Fraud"}
    assert services.queue_subjects(reports=[first, second], user=org.supervisor, private_key=None) == {}
