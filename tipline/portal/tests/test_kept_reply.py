"""A reply typed past the idle time comes back after the next log-in, never in clear at
rest; the status is explained in words; log-out and "leave quickly" sit at the top."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from tipline.conftest import Setup, csrf_token
from tipline.register import services
from tipline.register.models import Report, Transcript

LOGIN = "/portal/"
REPORT = "/portal/report/"
TEXT = "KEPTreply42 the cashier saw it too"


def _submit(org: Setup) -> tuple[Report, str]:
    version = org.channel.current_questionnaire()
    assert version is not None
    submission = services.create_report(
        channel=org.channel, questionnaire=version, answers={"what": "Contract rigging", "kind": "Fraud"}
    )
    return submission.report, submission.receipt


def _login(client: Client, receipt: str) -> object:
    token = csrf_token(client, LOGIN)
    return client.post(LOGIN, {"csrfmiddlewaretoken": token, "receipt": receipt})


def _reply_too_late(client: Client, monkeypatch: pytest.MonkeyPatch, text: str = TEXT) -> object:
    token = csrf_token(client, REPORT)
    later = time.time() + 16 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    return client.post(REPORT, {"csrfmiddlewaretoken": token, "body": text})


def _reply_box(client: Client) -> str:
    body = client.get(REPORT).content.decode()
    match = re.search(r'<textarea name="body"[^>]*>(.*?)</textarea>', body, re.S)
    assert match
    return match.group(1).strip()


def test_a_reply_sent_past_the_idle_time_is_back_in_the_box_after_log_in(
    org: Setup, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    report, receipt = _submit(org)
    _login(client, receipt)
    response = _reply_too_late(client, monkeypatch)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response["Location"] == LOGIN  # type: ignore[index]
    page = client.get(LOGIN).content.decode()
    assert "it is kept" in page
    assert not report.messages.exists(), "nothing was sent"
    assert client.get(REPORT).status_code == 302, "the expired session is gone"
    assert _login(client, receipt).status_code == 302  # type: ignore[attr-defined]
    body = client.get(REPORT).content.decode()
    assert TEXT in body
    assert "is back in the box below" in body
    assert _reply_box(client) == "", "offered once"


def test_the_kept_reply_never_rests_in_clear(org: Setup, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    _, receipt = _submit(org)
    _login(client, receipt)
    _reply_too_late(client, monkeypatch)
    stored = "".join(s.session_data for s in Session.objects.all())
    assert "KEPTreply42" not in stored
    decoded = b"".join(Session.objects.get().get_decoded().get(k, "").encode() for k in ["vault:kept-reply"])
    assert decoded, "the text is kept, encrypted"
    assert b"KEPTreply42" not in decoded
    _login(client, receipt)
    assert "KEPTreply42" not in "".join(s.session_data for s in Session.objects.all())


def test_another_receipt_in_the_same_browser_does_not_get_the_text(
    org: Setup, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, receipt = _submit(org)
    _, other_receipt = _submit(org)
    _login(client, receipt)
    _reply_too_late(client, monkeypatch)
    _login(client, other_receipt)
    assert "KEPTreply42" not in client.get(REPORT).content.decode()
    _login(client, receipt)
    assert "KEPTreply42" not in client.get(REPORT).content.decode(), "taken away by the other log-in"


def test_another_browser_does_not_get_the_text(org: Setup, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    _, receipt = _submit(org)
    _login(client, receipt)
    _reply_too_late(client, monkeypatch)
    elsewhere = Client(enforce_csrf_checks=True)
    _login(elsewhere, receipt)
    assert "KEPTreply42" not in elsewhere.get(REPORT).content.decode()


def test_a_kept_reply_expires(org: Setup, client: Client, monkeypatch: pytest.MonkeyPatch, settings: object) -> None:
    settings.TIPLINE_KEPT_REPLY_HOURS = 1  # type: ignore[attr-defined]
    _, receipt = _submit(org)
    _login(client, receipt)
    _reply_too_late(client, monkeypatch)
    much_later = time.time() + 2 * 3600
    monkeypatch.setattr(time, "time", lambda: much_later)
    _login(client, receipt)
    assert "KEPTreply42" not in client.get(REPORT).content.decode()


def test_an_empty_reply_past_the_idle_time_keeps_nothing(
    org: Setup, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, receipt = _submit(org)
    _login(client, receipt)
    response = _reply_too_late(client, monkeypatch, text="   ")
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert "it is kept" not in client.get(LOGIN).content.decode()


def test_a_reply_to_a_session_that_never_was_is_sent_to_log_in(org: Setup, client: Client) -> None:
    token = csrf_token(client, LOGIN)
    response = client.post(REPORT, {"csrfmiddlewaretoken": token, "body": TEXT})
    assert response.status_code == 302
    assert "it is kept" not in client.get(LOGIN).content.decode()


def test_the_status_and_the_next_date_are_explained(org: Setup, client: Client) -> None:
    report, receipt = _submit(org)
    _login(client, receipt)
    body = client.get(REPORT).content.decode()
    assert "Nobody has confirmed it yet" in body
    assert report.ack_due_at is not None
    assert f"{report.ack_due_at:%Y}" in body
    Report.objects.filter(pk=report.pk).update(status=Report.Status.CLOSED)
    assert "the work on it has ended" in client.get(REPORT).content.decode()


def test_log_out_and_leave_quickly_come_first_on_every_portal_page(org: Setup, client: Client) -> None:
    _, receipt = _submit(org)
    _login(client, receipt)
    body = client.get(REPORT).content.decode()
    bar = body.index('class="leave-bar"')
    assert bar < body.index("<header")
    assert body.index('action="/portal/logout/"') < body.index("<header")
    assert body.index('action="/portal/leave/"') < body.index("<header")


def test_leaving_quickly_logs_out_and_moves_to_an_unrelated_page(org: Setup, client: Client, settings: object) -> None:
    settings.TIPLINE_QUICK_EXIT_URL = "https://weather.example/"  # type: ignore[attr-defined]
    _, receipt = _submit(org)
    _login(client, receipt)
    token = csrf_token(client, REPORT)
    response = client.post("/portal/leave/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 200
    body = response.content.decode()
    assert '<meta http-equiv="refresh" content="0; url=https://weather.example/">' in body
    assert response["Referrer-Policy"] == "no-referrer"
    assert client.get(REPORT).status_code == 302


def test_leaving_needs_a_post(client: Client, db: None) -> None:
    assert client.get("/portal/leave/").status_code == 405


def test_a_wrong_receipt_gets_an_error_summary_and_title(org: Setup, client: Client) -> None:
    _submit(org)
    response = _login(client, "0000 0000 0000 0000")
    body = response.content.decode()  # type: ignore[attr-defined]
    assert re.search(r"<title>Error: ", body)
    assert 'href="#id_receipt"' in body
    assert "novalidate" not in body


def test_a_correction_of_the_transcript_sent_past_the_idle_time_is_back_in_its_box(
    org: Setup, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = org.channel.current_questionnaire()
    assert version is not None
    said = "The caller saw the manager take an envelope on Friday."
    submission = services.create_report(
        channel=org.channel, questionnaire=version, answers={"what": "By phone", "kind": "Fraud"}, transcript=said
    )
    transcript = Transcript.objects.get(report=submission.report)
    _login(client, submission.receipt)
    token = csrf_token(client, REPORT)
    later = time.time() + 16 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    corrected = "KEPTcorrection It was on Thursday, not Friday."
    url = f"/portal/transcripts/{transcript.pk}/"
    response = client.post(url, {"csrfmiddlewaretoken": token, "decision": "correct", "correction": corrected})
    assert response["Location"] == LOGIN  # type: ignore[index]
    assert "Your correction was not sent, but it is kept" in client.get(LOGIN).content.decode()
    transcript.refresh_from_db()
    assert transcript.state == Transcript.State.PENDING, "nothing was decided"
    stored = b"".join(bytes(s.session_data, "utf-8") for s in Session.objects.all())
    assert b"KEPTcorrection" not in stored
    _login(client, submission.receipt)
    body = client.get(REPORT).content.decode()
    box = re.search(rf'<textarea name="correction" id="correction-{transcript.pk}"[^>]*>(.*?)</textarea>', body, re.S)
    assert box
    assert box.group(1).strip() == corrected
    assert 'value="correct" checked' in body
    assert _reply_box(client) == "", "the reply box stays empty"
    again = client.get(REPORT).content.decode()
    assert "KEPTcorrection" not in again, "offered once"


def test_a_confirmation_past_the_idle_time_keeps_nothing(
    org: Setup, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = org.channel.current_questionnaire()
    assert version is not None
    submission = services.create_report(
        channel=org.channel, questionnaire=version, answers={"what": "By phone", "kind": "Fraud"}, transcript="Said."
    )
    transcript = Transcript.objects.get(report=submission.report)
    _login(client, submission.receipt)
    token = csrf_token(client, REPORT)
    later = time.time() + 16 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.post(
        f"/portal/transcripts/{transcript.pk}/", {"csrfmiddlewaretoken": token, "decision": "confirm"}
    )
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert "it is kept" not in client.get(LOGIN).content.decode()
