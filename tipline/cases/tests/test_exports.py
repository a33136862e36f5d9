from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

from django.test import Client
from django.utils import timezone

from tipline.accounts import services as accounts
from tipline.accounts.models import Role, StaffUser
from tipline.accounts.testing import login_staff
from tipline.audit import services as audit
from tipline.audit.models import AuditEntry
from tipline.cases.services import exports, workflow
from tipline.conftest import PASSWORD, Setup
from tipline.register import services as register
from tipline.register.models import Channel, ChannelKind, Message, Report, Transcript

# The moment of the call, to the second (not on the hour, so rounding shows).
CALLED = datetime(2025, 3, 4, 14, 37, 52, tzinfo=UTC)
SAID = "The caller saw the depot manager take an envelope on Friday."
CORRECTED = "It was on Thursday, not Friday."


def _report(org: Setup) -> register.Submission:
    version = org.channel.current_questionnaire()
    assert version is not None
    return register.create_report(
        channel=org.channel,
        questionnaire=version,
        answers={"what": "Ghost employees on the payroll 许可证", "kind": "Fraud"},
    )


def _pdf_text(pdf: bytes) -> str:
    """The PDF's words, with line breaks (a narrow table cell wraps) read as spaces."""
    from pypdf import PdfReader

    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def _taken_by_phone(org: Setup) -> Report:
    """A report a call-taker took during a call, a message they took down on a later call,
    the transcript the reporter then corrected, and a request to meet: all at ``CALLED``."""
    call_taker = accounts.create_staff(username="nightdesk", password=PASSWORD, roles=[Role.CALL_TAKER])
    channel = Channel.objects.create(slug="phone", name="Hotline", kind=ChannelKind.PHONE)
    channel.recipients.add(org.handler)
    for question in org.channel.questions.all():
        question.pk, question.channel = None, channel
        question.save()
    version = register.publish_questionnaire(channel=channel)
    submission = register.create_report(
        channel=channel,
        questionnaire=version,
        answers={"what": "Cash for permits at the depot", "kind": "Bribery"},
        recording_consent=False,
        transcript=SAID,
    )
    report = submission.report
    audit.record(action="report.taken_by_phone", actor=call_taker, report_ref=report.reference)
    _, report_key = register.open_with_receipt(receipt_text=submission.receipt, client_tag="test")
    register.post_message(report=report, report_key=report_key, body="I have the permit numbers.", taken_by_phone=True)
    audit.record(action="message.taken_by_phone", actor=call_taker, report_ref=report.reference)
    transcript = Transcript.objects.get(report=report)
    register.decide_transcript(report=report, report_key=report_key, transcript_id=transcript.pk, correction=CORRECTED)
    assert register.request_meeting(report=report, report_key=report_key)
    AuditEntry.objects.filter(report_ref=report.reference).update(at=CALLED)
    Transcript.objects.filter(report=report).update(created_at=CALLED)
    Message.objects.filter(report=report).update(created_at=CALLED)
    return report


def _export(report: Report, by: StaffUser) -> str:
    key = accounts.unlock_private_key(user=by, password=PASSWORD)
    return _pdf_text(exports.render_case_pdf(report=report, by=by, private_key=key))


def test_a_handler_s_pdf_of_a_call_shows_its_time_to_the_hour_and_no_call_taker(org: Setup) -> None:
    report = _taken_by_phone(org)
    text = _export(report, org.handler)
    local = timezone.localtime(CALLED)
    assert local.strftime("%Y-%m-%d %H:00") in text
    assert local.strftime("%Y-%m-%d %H:%M") not in text, "not the minute of the call"
    assert local.strftime("%H:%M:%S") not in text, "not its second"
    assert "nightdesk" not in text, "the call-taker on shift is not named"
    assert "Call-taker" in text
    assert "report.taken_by_phone" in text
    assert "message.taken_by_phone" in text
    assert "transcript.corrected" in text


def test_a_handler_s_pdf_of_a_call_holds_the_transcript_the_correction_and_the_consent(org: Setup) -> None:
    report = _taken_by_phone(org)
    text = _export(report, org.handler)
    assert "Transcripts and minutes" in text
    assert SAID in text
    assert "Corrected by the reporter" in text
    assert "The reporter's correction" in text
    assert CORRECTED in text
    assert "Recording: the reporter did not agree to a recording" in text
    assert "Reporter (taken down by phone)" in text
    assert "I have the permit numbers." in text


def test_a_transcript_in_any_state_shows_its_state(org: Setup) -> None:
    report = _taken_by_phone(org)
    Transcript.objects.filter(report=report).update(state=Transcript.State.PENDING, correction_ct=None)
    text = _export(report, org.handler)
    assert "Waiting for the reporter to check it" in text
    assert "The reporter's correction" not in text


def test_a_report_without_a_recording_question_says_nothing_of_one(org: Setup) -> None:
    text = _export(_report(org).report, org.handler)
    assert "Recording" not in text
    assert "Transcripts and minutes" not in text


def test_a_supervisor_s_pdf_leaves_out_the_minute_of_the_call_and_the_call_taker_too(org: Setup) -> None:
    """The PDF leaves Tipline (a referral): the exact trail stays on the audit page."""
    report = _taken_by_phone(org)
    text = _export(report, org.supervisor)
    local = timezone.localtime(CALLED)
    assert local.strftime("%Y-%m-%d %H:%M") not in text
    assert "nightdesk" not in text
    assert "Call-taker" in text
    # The transcript itself is shown as on the case page, to the hour, to everyone.
    assert f"{local.strftime('%Y-%m-%d %H:00')} · Corrected by the reporter" in text


def test_the_case_pdf_holds_the_answers_notes_and_trail_and_is_audited(org: Setup) -> None:
    from pypdf import PdfReader

    report = _report(org).report
    key = accounts.unlock_private_key(user=org.handler, password=PASSWORD)
    workflow.add_note(report=report, by=org.handler, private_key=key, body="Check the payroll system")
    pdf = exports.render_case_pdf(report=report, by=org.handler, private_key=key)
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Ghost employees on the payroll" in text
    assert "Check the payroll system" in text
    assert "note.add" in text
    assert AuditEntry.objects.filter(action="report.export_pdf", report_ref=report.reference).exists()


def test_the_queue_csv_holds_metadata_and_no_content(org: Setup) -> None:
    report = _report(org).report
    lines = "".join(exports.queue_csv_rows(by=org.supervisor, filters={}))
    rows = list(csv.reader(io.StringIO(lines)))
    assert rows[0] == exports.CSV_COLUMNS
    assert rows[1][0] == report.reference
    assert rows[1][2] == "new"
    assert "Ghost" not in lines


def test_the_pdf_and_the_case_page_list_the_files_sent_with_messages_and_say_yes_or_no(
    org: Setup, tmp_path: Path
) -> None:
    version = org.channel.current_questionnaire()
    assert version is not None
    submission = register.create_report(
        channel=org.channel, questionnaire=version, answers={"what": "Invoices", "kind": "Fraud", "ongoing": "yes"}
    )
    report = submission.report
    scan = tmp_path / "scan.txt"
    scan.write_text("The second invoice.")
    register.post_message(
        report=report,
        report_key=submission.report_key,
        body="Here is the scan.",
        files=[register.IncomingFile(path=scan, name="scan.txt", size=scan.stat().st_size)],
    )
    text = _export(report, org.handler)
    assert "Ongoing? Yes" in text
    assert "Files: scan.txt" in text  # under its message
    attachments = text.split("Attachments", 1)[1].split("Messages", 1)[0]
    assert "scan.txt" in attachments
    assert "sent with the message of" in attachments
    client = Client()
    login_staff(client, "handler", PASSWORD)
    page = client.get(f"/console/reports/{report.reference}/").content.decode()
    files = page.split('id="files-heading"', 1)[1].split("</section>", 1)[0]
    assert "scan.txt" in files
    assert "No files." not in files
    assert f'href="#message-{Message.objects.get(report=report).pk}"' in files


def test_an_automatic_acknowledgement_is_timed_to_the_hour_like_the_reports_arrival(org: Setup) -> None:
    org.channel.auto_acknowledge = True
    org.channel.save()
    report = _report(org).report
    Message.objects.filter(report=report).update(created_at=CALLED)  # written the moment the report arrived
    local = timezone.localtime(CALLED)
    hour, minute = local.strftime("%Y-%m-%d %H:00"), local.strftime("%Y-%m-%d %H:%M")
    text = _export(report, org.handler)
    assert f"automatic, {hour}" in text
    assert minute not in text
    client = Client()
    login_staff(client, "handler", PASSWORD)
    page = client.get(f"/console/reports/{report.reference}/").content.decode()
    assert f"automatic · {hour}" in page
    assert minute not in page
    # A person's message keeps its minute.
    register.post_message(report=report, report_key=_report_key(report, org.handler), body="Noted.", author=org.handler)
    Message.objects.filter(report=report, author=org.handler).update(created_at=CALLED)
    assert f"{org.handler} · {minute}" in client.get(f"/console/reports/{report.reference}/").content.decode()


def _report_key(report: Report, user: StaffUser) -> bytes:
    from tipline.register import keyring

    return keyring.open_report_key(
        report=report, user=user, private_key=accounts.unlock_private_key(user=user, password=PASSWORD)
    )
