"""Art. 18: the reporter reads what was written down during their call or meeting and
confirms or corrects it (both kept; the handler sees which). Art. 9(2): the reporter asks
to meet in person."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

from django.test import Client
from django.utils import timezone

from tipline.accounts.testing import login_staff
from tipline.audit.models import AuditEntry
from tipline.conftest import PASSWORD, Setup, csrf_token
from tipline.register import services
from tipline.register.models import Message, Report, Transcript

LOGIN = "/portal/"
SAID = "The caller saw the manager take an envelope on Friday."


def _taken_by_phone(org: Setup) -> tuple[Report, str]:
    version = org.channel.current_questionnaire()
    assert version is not None
    submission = services.create_report(
        channel=org.channel, questionnaire=version, answers={"what": "By phone", "kind": "Fraud"}, transcript=SAID
    )
    return submission.report, submission.receipt


def _logged_in(client: Client, receipt: str) -> None:
    token = csrf_token(client, LOGIN)
    assert client.post(LOGIN, {"csrfmiddlewaretoken": token, "receipt": receipt}).status_code == 302


def _post(client: Client, url: str, data: dict[str, str]) -> object:
    return client.post(url, {"csrfmiddlewaretoken": csrf_token(client, "/portal/report/"), **data})


def test_the_reporter_corrects_the_transcript_and_both_texts_are_kept(org: Setup, client: Client) -> None:
    report, receipt = _taken_by_phone(org)
    _logged_in(client, receipt)
    page = client.get("/portal/report/").content.decode()
    assert SAID in page
    transcript = Transcript.objects.get(report=report)
    url = f"/portal/transcripts/{transcript.pk}/"
    refused = _post(client, url, {"decision": "correct", "correction": " "})
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "Write the right text" in refused.content.decode()  # type: ignore[attr-defined]
    transcript.refresh_from_db()
    assert transcript.state == Transcript.State.PENDING, "a correction without text changes nothing"
    corrected = "It was on Thursday, not Friday."
    assert _post(client, url, {"decision": "correct", "correction": corrected}).status_code == 302  # type: ignore[attr-defined]
    transcript.refresh_from_db()
    assert transcript.state == Transcript.State.CORRECTED
    mine = client.get("/portal/report/").content.decode()
    assert "You corrected it. Your text, kept beside the first one:" in mine
    assert "by the reporter" not in mine
    again = _post(client, url, {"decision": "confirm"})
    assert again.status_code == 409  # type: ignore[attr-defined]
    staff = Client(enforce_csrf_checks=True)
    login_staff(staff, "handler", PASSWORD)
    detail = staff.get(f"/console/reports/{report.reference}/").content.decode()
    assert SAID in detail
    assert corrected in detail
    assert "Corrected by the reporter" in detail
    # The time of the call is shown to the hour, as a reporter's messages are.
    called = datetime(2026, 12, 1, 14, 37, tzinfo=UTC)
    Transcript.objects.filter(pk=transcript.pk).update(created_at=called)
    detail = staff.get(f"/console/reports/{report.reference}/").content.decode()
    local = timezone.localtime(called)
    assert local.strftime("%Y-%m-%d %H:00") in detail
    assert local.strftime("%H:%M") not in detail


def test_the_reporter_confirms_the_transcript(org: Setup, client: Client) -> None:
    report, receipt = _taken_by_phone(org)
    _logged_in(client, receipt)
    transcript = Transcript.objects.get(report=report)
    assert _post(client, f"/portal/transcripts/{transcript.pk}/", {"decision": "confirm"}).status_code == 302  # type: ignore[attr-defined]
    transcript.refresh_from_db()
    assert transcript.state == Transcript.State.CONFIRMED
    assert transcript.correction_ct is None


def test_another_reports_transcript_cannot_be_decided(org: Setup, client: Client) -> None:
    other, _ = _taken_by_phone(org)
    _, receipt = _taken_by_phone(org)
    _logged_in(client, receipt)
    transcript = Transcript.objects.get(report=other)
    response = _post(client, f"/portal/transcripts/{transcript.pk}/", {"decision": "confirm"})
    assert response.status_code == 404  # type: ignore[attr-defined]
    transcript.refresh_from_db()
    assert transcript.state == Transcript.State.PENDING


def test_the_reporter_asks_to_meet_once(org: Setup, client: Client) -> None:
    report, receipt = _taken_by_phone(org)
    _logged_in(client, receipt)
    assert _post(client, "/portal/meeting/", {}).status_code == 302  # type: ignore[attr-defined]
    assert _post(client, "/portal/meeting/", {}).status_code == 302  # type: ignore[attr-defined]
    report.refresh_from_db()
    assert report.meeting_requested_at is not None
    assert Message.objects.filter(report=report, from_staff=False).count() == 1
    assert AuditEntry.objects.filter(action="report.meeting_requested", report_ref=report.reference).count() == 1
    staff = Client(enforce_csrf_checks=True)
    login_staff(staff, "handler", PASSWORD)
    detail = staff.get(f"/console/reports/{report.reference}/").content.decode()
    assert "asked to meet in person" in detail
    assert 'name="answers_meeting"' in detail
    # Another question leaves the request open, on both sides.
    url = f"/console/reports/{report.reference}/"
    asked = {"csrfmiddlewaretoken": csrf_token(staff, url), "body": "Which year is the list from?"}
    assert staff.post(url, asked).status_code == 302
    report.refresh_from_db()
    assert report.meeting_requested_at is not None
    assert "You asked to meet on" in client.get("/portal/report/").content.decode()
    # The handler proposes a time and a place, and says so: the request is answered, and may be made again.
    proposed = {**asked, "body": "Tuesday at 10, room 4.", "answers_meeting": "on"}
    assert staff.post(url, proposed).status_code == 302
    report.refresh_from_db()
    assert report.meeting_requested_at is None
    entry = AuditEntry.objects.filter(action="message.sent", report_ref=report.reference).latest("pk")
    assert entry.detail == {"files": 0, "meeting_proposed": True}
    detail = staff.get(url).content.decode()
    assert "asked to meet in person" not in detail
    assert 'name="answers_meeting"' not in detail
    assert _post(client, "/portal/meeting/", {}).status_code == 302  # type: ignore[attr-defined]
    report.refresh_from_db()
    assert report.meeting_requested_at is not None
    assert Message.objects.filter(report=report, from_staff=False).count() == 2


def _box(page: str, transcript: Transcript) -> str:
    found = re.search(rf'<textarea name="correction" id="correction-{transcript.pk}"[^>]*>(.*?)</textarea>', page, re.S)
    assert found
    return html.unescape(found.group(1))


def test_an_answer_that_cannot_be_taken_comes_back_with_what_was_typed(org: Setup, client: Client) -> None:
    report, receipt = _taken_by_phone(org)
    _logged_in(client, receipt)
    transcript = Transcript.objects.get(report=report)
    url = f"/portal/transcripts/{transcript.pk}/"
    edited = SAID.replace("Friday", "Thursday")
    cases = [
        # "Right" chosen, but the text was changed: that is a correction, not a yes.
        ({"decision": "confirm", "correction": edited}, "You changed the text", f"#decision-{transcript.pk}_0"),
        # "Not right" chosen, but the text is as written down (line ends as a browser sends them).
        (
            {"decision": "correct", "correction": SAID + "\r\n"},
            "as it was written down",
            f"#correction-{transcript.pk}",
        ),
        # Longer than a correction may be: refused, and the text is not lost.
        ({"decision": "correct", "correction": "x" * 20001}, "at most 20000", f"#correction-{transcript.pk}"),
        ({"correction": edited}, "This field is required", f"#decision-{transcript.pk}_0"),
    ]
    for data, reason, anchor in cases:
        response = _post(client, url, data)
        assert response.status_code == 400, data  # type: ignore[attr-defined]
        page = response.content.decode()  # type: ignore[attr-defined]
        assert reason in page
        assert f'href="{anchor}"' in page, "the summary links to the field"
        field = "decision" if "decision-" in anchor else "correction"
        beside = re.search(rf'<ul class="errorlist" id="{field}-{transcript.pk}-error"><li>([^<]*)', page)
        assert beside, "the problem is said beside its field too"
        assert reason in html.unescape(beside.group(1))
        assert f'aria-describedby="{field}-{transcript.pk}-error"' in page
        assert page.count('aria-invalid="true"') == (2 if field == "decision" else 1)
        assert "There is a problem: your answer was not sent yet" in page
        assert "<title>Error: " in page
        assert _box(page, transcript).strip() == data["correction"].strip(), "what was typed is back in its box"
        assert 'action="/portal/report/" enctype="multipart/form-data"' in page, "a reply goes to the report"
        transcript.refresh_from_db()
        assert transcript.state == Transcript.State.PENDING
    shown = client.get("/portal/report/").content.decode()
    assert 'maxlength="20000"' in shown
    assert "<title>Error: " not in shown
    confirmed = _post(client, url, {"decision": "confirm", "correction": SAID + "\r\n"})
    assert confirmed.status_code == 302  # type: ignore[attr-defined]
    transcript.refresh_from_db()
    assert transcript.state == Transcript.State.CONFIRMED
    assert _post(client, "/portal/transcripts/999999/", {"decision": "confirm"}).status_code == 404  # type: ignore[attr-defined]


def test_a_transcript_read_back_during_the_call_is_shown_as_confirmed(org: Setup, client: Client) -> None:
    version = org.channel.current_questionnaire()
    assert version is not None
    submission = services.create_report(
        channel=org.channel, questionnaire=version, answers={"what": "x"}, transcript=SAID, transcript_read_back=True
    )
    transcript = Transcript.objects.get(report=submission.report)
    assert transcript.state == Transcript.State.READ_BACK
    assert transcript.decided_at is not None
    _logged_in(client, submission.receipt)
    page = client.get("/portal/report/").content.decode()
    assert "It was read back to you, and you confirmed it." in page  # spoken to the reporter
    assert "Read back to the reporter" not in page
    assert 'name="decision"' not in page, "nothing left to decide"
    again = _post(client, f"/portal/transcripts/{transcript.pk}/", {"decision": "correct", "correction": "Other"})
    assert again.status_code == 409  # type: ignore[attr-defined]


def test_a_letters_writer_is_asked_in_the_summary_as_on_the_page(org: Setup, client: Client) -> None:
    from tipline.register.models import Channel, ChannelKind

    Channel.objects.filter(pk=org.channel.pk).update(kind=ChannelKind.POST)
    report, receipt = _taken_by_phone(org)
    _logged_in(client, receipt)
    transcript = Transcript.objects.get(report=report)
    page = _post(client, f"/portal/transcripts/{transcript.pk}/", {"correction": SAID})
    text = page.content.decode()  # type: ignore[attr-defined]
    assert "<legend>Is this right?</legend>" in text
    assert f'<a href="#decision-{transcript.pk}_0">Is this right? This field is required.</a>' in text
    assert "Is this what you said?" not in text
