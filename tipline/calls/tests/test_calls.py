"""The call-taker's screen: a report taken during a call, the receipt read back once, and a
caller's message added by receipt, without the call-taker ever reading the report."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from tipline.accounts import services as accounts
from tipline.accounts.models import Role, StaffUser
from tipline.accounts.testing import login_staff
from tipline.conftest import PASSWORD, Setup, jpeg_with_exif, wav_bytes
from tipline.register import cleaning, keyring
from tipline.register import services as register
from tipline.register.exceptions import IdentityNotReceivable
from tipline.register.models import (
    Attachment,
    Channel,
    ChannelKind,
    Message,
    Report,
    ReportKeyGrant,
    Transcript,
)


def _channel(org: Setup, kind: str) -> Channel:
    channel = Channel.objects.create(slug=kind, name=f"By {kind}", kind=kind)
    channel.recipients.add(org.handler)
    for question in org.channel.questions.all():
        question.pk, question.channel = None, channel
        question.save()
    register.publish_questionnaire(channel=channel)
    return channel


@pytest.fixture
def call_taker(org: Setup) -> StaffUser:
    return accounts.create_staff(username="caller-desk", password=PASSWORD, roles=[Role.CALL_TAKER])


@pytest.fixture
def desk(call_taker: StaffUser) -> Client:
    client = Client(enforce_csrf_checks=True)
    login_staff(client, call_taker.username, PASSWORD)
    return client


def _post(client: Client, url: str, data: dict[str, object]) -> object:
    token = client.cookies["csrftoken"].value
    return client.post(url, data, HTTP_X_CSRFTOKEN=token)


def _answers(report: Report, org: Setup) -> dict[str, object]:
    key = keyring.open_report_key(
        report=report, user=org.handler, private_key=accounts.unlock_private_key(user=org.handler, password=PASSWORD)
    )
    return {q["key"]: value for q, value in register.read_answers(report=report, report_key=key)}


def test_a_call_is_taken_and_the_receipt_read_back_once(org: Setup, desk: Client, call_taker: StaffUser) -> None:
    _channel(org, ChannelKind.PHONE)
    page = desk.get("/calls/new/phone/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="recording_consent"' in html
    assert 'name="callback"' in html
    response = _post(
        desk,
        "/calls/new/phone/",
        {
            "q_what": "Cash for permits at the depot",
            "q_kind": "Bribery",
            "recording_consent": "no",
            "transcript": "The caller saw cash change hands on Friday.",
            "identity": "Li Wei",
            "callback": "+44 20 7946 0000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]  # type: ignore[attr-defined]
    shown = desk.get("/calls/receipt/").content.decode()
    groups = re.findall(r'<span class="receipt-group">(\d{4})</span>', shown)
    assert len(groups) == 4
    assert "receipt-group" not in desk.get("/calls/receipt/").content.decode(), "shown once"

    report = Report.objects.get(channel__slug="phone")
    assert report.recording_consent is False
    assert _answers(report, org)["what"] == "Cash for permits at the depot"
    [transcript] = Transcript.objects.filter(report=report)
    assert transcript.state == Transcript.State.PENDING
    assert not ReportKeyGrant.objects.filter(report=report, user=call_taker).exists(), "no key for the call-taker"
    supervisor_key = accounts.unlock_private_key(user=org.supervisor, password=PASSWORD)
    identity_key = keyring.open_identity_key(report=report, user=org.supervisor, private_key=supervisor_key)
    identity = register.read_identity(report=report, identity_key=identity_key)
    assert identity == "Li Wei\nCall back on: +44 20 7946 0000"
    opened, _ = register.open_with_receipt(receipt_text="".join(groups), client_tag="test")
    assert opened == report
    assert desk.get(f"/console/{report.reference}/").status_code in {302, 403, 404}


def test_no_number_is_kept_unless_the_caller_asks(org: Setup, desk: Client) -> None:
    _channel(org, ChannelKind.PHONE)
    data = {"q_what": "x", "q_kind": "Fraud", "recording_consent": "yes", "transcript": "Said x."}
    response = _post(desk, "/calls/new/phone/", data)
    assert response.status_code == 302  # type: ignore[attr-defined]
    report = Report.objects.get()
    assert report.identity_ct is None
    assert report.recording_consent is True


@pytest.mark.parametrize("kind", [ChannelKind.PHONE, ChannelKind.MEETING])
def test_without_a_recording_the_minutes_are_required(org: Setup, desk: Client, kind: str) -> None:
    """Art. 18: a call or meeting is documented by a recording or by minutes the reporter checks."""
    _channel(org, kind)
    for consent in ("yes", "no"):
        data = {"q_what": "x", "q_kind": "Fraud", "recording_consent": consent, "transcript": "  "}
        response = _post(desk, f"/calls/new/{kind}/", data)
        assert response.status_code == 400  # type: ignore[attr-defined]
        html = response.content.decode()  # type: ignore[attr-defined]
        assert "Without a recording, write down what the reporter said" in html
        assert 'href="#id_transcript"' in html
    assert not Report.objects.exists()


def test_minutes_read_back_during_the_call_are_stored_as_confirmed(org: Setup, desk: Client) -> None:
    _channel(org, ChannelKind.PHONE)
    page = desk.get("/calls/new/phone/").content.decode()
    assert re.search(r'<input type="radio" name="read_back" value="portal"[^>]*checked', page), "the portal by default"
    data = {
        "q_what": "x",
        "q_kind": "Fraud",
        "recording_consent": "no",
        "transcript": "The caller saw the envelope.",
        "read_back": "confirmed",
    }
    assert _post(desk, "/calls/new/phone/", data).status_code == 302  # type: ignore[attr-defined]
    transcript = Transcript.objects.get()
    assert transcript.state == Transcript.State.READ_BACK
    assert transcript.decided_at is not None


def test_a_missing_answer_is_shown_with_an_error_summary(org: Setup, desk: Client) -> None:
    _channel(org, ChannelKind.PHONE)
    response = _post(desk, "/calls/new/phone/", {"q_kind": "Fraud"})
    assert response.status_code == 400  # type: ignore[attr-defined]
    html = response.content.decode()  # type: ignore[attr-defined]
    assert "<title>Error:" in html
    assert 'class="error-summary"' in html
    assert 'href="#id_q_what"' in html
    assert 'href="#id_recording_consent_0"' in html, "a group of choices: the link goes to the first"
    assert re.search(r'<h2 id="error-summary-title" tabindex="-1" autofocus>', html), "the summary takes the focus"
    assert html.count('class="errorlist"') >= 2, "each field says what is wrong with it"
    assert "Files must be chosen again" not in html, "no file was chosen"
    assert not Report.objects.exists()


def test_the_first_question_takes_the_focus(org: Setup, desk: Client) -> None:
    _channel(org, ChannelKind.PHONE)
    html = desk.get("/calls/new/phone/").content.decode()
    assert html.count("autofocus") == 1
    assert re.search(r'<(?:input|textarea)[^>]*name="q_what"[^>]*autofocus', html)


def test_a_recording_is_kept_only_with_the_callers_yes(org: Setup, desk: Client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    _channel(org, ChannelKind.PHONE)
    recording = SimpleUploadedFile("call.jpg", jpeg_with_exif("x"), content_type="image/jpeg")
    data = {"q_what": "Cash", "q_kind": "Fraud", "recording_consent": "no", "recording": recording}
    response = _post(desk, "/calls/new/phone/", data)
    assert response.status_code == 400  # type: ignore[attr-defined]
    html = response.content.decode()  # type: ignore[attr-defined]
    assert "kept only with the reporter" in html
    assert "Files must be chosen again" in html
    assert not Report.objects.exists()
    recording.seek(0)
    data = {"q_what": "Cash", "q_kind": "Fraud", "recording_consent": "yes", "recording": recording}
    assert _post(desk, "/calls/new/phone/", data).status_code == 302, "with a yes, no minutes are needed"  # type: ignore[attr-defined]
    report = Report.objects.get()
    assert report.recording_consent is True
    assert report.attachments.count() == 1
    assert not Transcript.objects.exists()


def test_papers_handed_over_in_a_meeting_need_no_consent_to_a_recording(org: Setup, desk: Client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    _channel(org, ChannelKind.MEETING)
    page = desk.get("/calls/new/meeting/").content.decode()
    assert 'name="recording"' in page
    assert "Papers handed over" in page
    papers = SimpleUploadedFile("papers.jpg", jpeg_with_exif("x"), content_type="image/jpeg")
    data = {"q_what": "x", "q_kind": "Fraud", "recording_consent": "no", "transcript": "Minutes.", "files": papers}
    assert _post(desk, "/calls/new/meeting/", data).status_code == 302  # type: ignore[attr-defined]
    report = Report.objects.get()
    assert report.recording_consent is False
    assert report.attachments.count() == 1
    assert (
        'name="files"' not in desk.get("/calls/new/phone/").content.decode()
        if Channel.objects.filter(slug="phone").exists()
        else True
    )


def test_a_letter_is_entered_with_its_scan(org: Setup, desk: Client, tmp_path: object) -> None:
    _channel(org, ChannelKind.POST)
    page = desk.get("/calls/new/post/").content.decode()
    assert 'name="recording_consent"' not in page
    assert "Scan of the letter" in page
    from django.core.files.uploadedfile import SimpleUploadedFile

    scan = SimpleUploadedFile("letter.jpg", jpeg_with_exif("ScanCamMarker"), content_type="image/jpeg")
    response = _post(desk, "/calls/new/post/", {"q_what": "A letter about the depot", "q_kind": "Fraud", "files": scan})
    assert response.status_code == 302  # type: ignore[attr-defined]
    report = Report.objects.get()
    assert report.recording_consent is None
    assert report.attachments.count() == 1
    shown = desk.get("/calls/receipt/").content.decode()
    assert len(re.findall(r'<span class="receipt-group">\d{4}</span>', shown)) == 4
    assert "sealed envelope" in shown, "a letter's receipt is posted, if asked for, not read out"
    assert "Read the receipt out" not in shown


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("minutes.txt", "The minutes of the meeting.")
    return buffer.getvalue()


def test_a_file_that_cannot_be_cleaned_goes_to_the_handlers_marked(org: Setup, desk: Client) -> None:
    """The caller is not at the portal to decide about it: it is not held (and swept unseen)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    _channel(org, ChannelKind.POST)
    archive = SimpleUploadedFile("minutes.zip", _zip(), content_type="application/zip")
    response = _post(desk, "/calls/new/post/", {"q_what": "Minutes", "q_kind": "Fraud", "files": archive})
    assert response.status_code == 302  # type: ignore[attr-defined]
    report = Report.objects.get()
    response = _post(desk, "/calls/add/", {"receipt": _receipt_of(desk), "body": "And these.", "files": archive})
    assert response.status_code == 302  # type: ignore[attr-defined]
    key = keyring.open_report_key(
        report=report, user=org.handler, private_key=accounts.unlock_private_key(user=org.handler, password=PASSWORD)
    )
    rows = list(Attachment.objects.filter(report=report))
    assert len(rows) == 2
    assert {row.state for row in rows} == {Attachment.State.SENT}
    assert [register.describe_attachment(attachment=row, report_key=key).cleaned for row in rows] == [False, False]
    register.purge_stale_held(now=timezone.now() + timedelta(days=30))
    assert Attachment.objects.filter(report=report).count() == 2


def _receipt_of(desk: Client) -> str:
    page = desk.get("/calls/receipt/").content.decode()
    return "".join(re.findall(r'<span class="receipt-group">(\d{4})</span>', page))


def test_a_caller_adds_to_their_report_without_the_call_taker_seeing_it(org: Setup, desk: Client) -> None:
    version = org.channel.current_questionnaire()
    assert version is not None
    submission = register.create_report(
        channel=org.channel, questionnaire=version, answers={"what": "SecretEarlierMarker"}
    )
    response = _post(desk, "/calls/add/", {"receipt": submission.receipt, "body": "They moved the cash."})
    assert response.status_code == 302  # type: ignore[attr-defined]
    home = desk.get("/calls/").content.decode()
    assert "SecretEarlierMarker" not in home
    assert "added to their report" in home
    message = Message.objects.get(report=submission.report)
    assert message.taken_by_phone
    assert not message.from_staff


def test_a_recording_of_a_later_call_is_kept_only_with_the_callers_yes(org: Setup, desk: Client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    version = org.channel.current_questionnaire()
    assert version is not None
    submission = register.create_report(channel=org.channel, questionnaire=version, answers={"what": "x"})
    recording = SimpleUploadedFile("call.jpg", jpeg_with_exif("x"), content_type="image/jpeg")
    for consent in ("", "no"):
        recording.seek(0)
        data = {"receipt": submission.receipt, "body": "More.", "recording": recording, "recording_consent": consent}
        response = _post(desk, "/calls/add/", data)
        assert response.status_code == 400  # type: ignore[attr-defined]
        refused = response.content.decode()  # type: ignore[attr-defined]
        assert "kept only with the caller" in refused
        assert "minutes" not in refused, "this form has no minutes to write"
    assert not Message.objects.exists()
    recording.seek(0)
    data = {"receipt": submission.receipt, "body": "More.", "recording": recording, "recording_consent": "yes"}
    assert _post(desk, "/calls/add/", data).status_code == 302  # type: ignore[attr-defined]
    message = Message.objects.get()
    assert message.recording_consent is True
    assert message.attachments.count() == 1
    data = {"receipt": submission.receipt, "body": "No recording this time.", "recording_consent": "no"}
    assert _post(desk, "/calls/add/", data).status_code == 302  # type: ignore[attr-defined]
    assert Message.objects.order_by("pk").last().recording_consent is False  # type: ignore[union-attr]
    staff = Client(enforce_csrf_checks=True)
    login_staff(staff, "handler", PASSWORD)
    detail = staff.get(f"/console/reports/{submission.report.reference}/").content.decode()
    assert "taken down by phone; the reporter agreed to a recording" in detail
    assert "taken down by phone; the reporter did not agree to a recording" in detail


def test_a_wrong_receipt_adds_nothing(org: Setup, desk: Client) -> None:
    response = _post(desk, "/calls/add/", {"receipt": "1234 5678 9012 3456", "body": "More"})
    assert response.status_code == 403  # type: ignore[attr-defined]
    html = response.content.decode()  # type: ignore[attr-defined]
    assert "did not open a report" in html
    assert "take a new report" in html, "told as the call-taker needs it"
    assert "1234 5678 9012 3456" not in html, "the receipt is not written back into the page"
    assert 'href="#id_receipt"' in html
    assert desk.get("/calls/add/")["Location"] == "/calls/", "its address opened again leads back to the screen"
    assert not Message.objects.exists()
    # A receipt misheard by a digit or two is said so, and costs nothing of the allowance.
    response = _post(desk, "/calls/add/", {"receipt": "1234 5678 9012 345", "body": "More"})
    assert response.status_code == 400  # type: ignore[attr-defined]
    html = response.content.decode()  # type: ignore[attr-defined]
    assert "A receipt has 16 digits, and this has 15." in html
    assert "ask the caller for it again" in html, "the page says the receipt is not written back"
    assert "More</textarea>" in html, "what was typed stays"
    assert not Message.objects.exists()


def test_a_refused_file_says_it_must_be_chosen_again(org: Setup, desk: Client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    recording = SimpleUploadedFile("call.jpg", jpeg_with_exif("x"), content_type="image/jpeg")
    data = {"receipt": "1234 5678 9012 3456", "body": "More", "recording_consent": "no", "recording": recording}
    response = _post(desk, "/calls/add/", data)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "Files must be chosen again." in response.content.decode()  # type: ignore[attr-defined]
    assert not Message.objects.exists()


def test_a_call_taker_has_an_allowance_of_their_own_that_only_wrong_receipts_use(
    org: Setup, desk: Client, call_taker: StaffUser, settings: object
) -> None:
    from tipline.audit.models import AuditEntry

    settings.TIPLINE_RECEIPT_ATTEMPTS = 1  # type: ignore[attr-defined]  # the reporters' allowance: beside the point
    settings.TIPLINE_RECEIPT_OVERFLOW = 0  # type: ignore[attr-defined]
    settings.TIPLINE_CALL_RECEIPT_FAILURES = 2  # type: ignore[attr-defined]
    version = org.channel.current_questionnaire()
    assert version is not None
    submission = register.create_report(channel=org.channel, questionnaire=version, answers={"what": "x"})
    for number in range(3):  # right receipts, from one desk: never refused, never counted
        response = _post(desk, "/calls/add/", {"receipt": submission.receipt, "body": f"Call {number}"})
        assert response.status_code == 302  # type: ignore[attr-defined]
    for _wrong in range(2):
        response = _post(desk, "/calls/add/", {"receipt": "1234 5678 9012 3456", "body": "More"})
        assert response.status_code == 403  # type: ignore[attr-defined]
    failed = AuditEntry.objects.filter(action="receipt.failed_by_phone")
    assert failed.count() == 2, "each receipt that opened nothing is in the audit trail"
    assert {entry.actor_id for entry in failed} == {call_taker.pk}
    assert {entry.report_ref for entry in failed} == {""}
    response = _post(desk, "/calls/add/", {"receipt": submission.receipt, "body": "Once more"})
    assert response.status_code == 429  # type: ignore[attr-defined]
    html = response.content.decode()  # type: ignore[attr-defined]
    assert "too many receipts that opened no report" in html
    assert "Ask a colleague" in html, "told as the call-taker needs it, not in the reporter's words"
    assert Message.objects.filter(report=submission.report).count() == 3
    colleague = accounts.create_staff(username="second-desk", password=PASSWORD, roles=[Role.CALL_TAKER])
    other = Client(enforce_csrf_checks=True)
    login_staff(other, colleague.username, PASSWORD)
    response = _post(other, "/calls/add/", {"receipt": submission.receipt, "body": "From the next desk"})
    assert response.status_code == 302, "a colleague's allowance is their own"  # type: ignore[attr-defined]


def test_only_call_takers_use_the_screen(org: Setup) -> None:
    client = Client(enforce_csrf_checks=True)
    login_staff(client, "handler", PASSWORD)
    assert client.get("/calls/").status_code == 403


def test_the_questions_are_read_in_the_language_of_the_call(org: Setup, desk: Client) -> None:
    channel = _channel(org, ChannelKind.PHONE)
    channel.translations = {"zh-hans": {"name": "电话举报"}}
    channel.save()
    channel.questions.filter(key="kind").update(translations={"zh-hans": {"label": "类别", "choices": "贿赂\n欺诈"}})
    register.publish_questionnaire(channel=channel)
    own = desk.get("/calls/new/phone/").content.decode()
    assert "By phone" in own
    assert "类别" not in own
    chinese = desk.get("/calls/new/phone/?call_language=zh-hans").content.decode()
    assert "电话举报" in chinese
    assert "类别" in chinese
    assert '<span lang="en">What happened?</span>' in chinese
    assert 'name="call_language" value="zh-hans"' in chinese
    odd = desk.get("/calls/new/phone/?call_language=xx").content.decode()  # unknown: the staff's own
    assert "类别" not in odd
    # Chosen while typing: the page comes back in that language with what was typed, and
    # nothing is stored or refused.
    typed = {"q_what": "Cash at the depot", "transcript": "The caller saw cash.", "switch_language": "zh-hans"}
    switched = _post(desk, "/calls/new/phone/", typed)
    assert switched.status_code == 200  # type: ignore[attr-defined]
    page = switched.content.decode()  # type: ignore[attr-defined]
    assert "类别" in page
    assert "Cash at the depot" in page
    assert "The caller saw cash." in page
    assert "error-summary" not in page
    assert 'name="call_language" value="zh-hans"' in page
    assert not Report.objects.exists()
    # Enter in a field clicks the first submit button of the form: the hidden one that stores.
    first = re.search(r'<button type="submit" form="take-form"[^>]*>', page)
    assert first
    assert "switch_language" not in first.group(0)
    from django.core.files.uploadedfile import SimpleUploadedFile

    too_large = SimpleUploadedFile("call.jpg", b"x" * 2048, content_type="image/jpeg")
    with override_settings(TIPLINE_MAX_FILE_SIZE=1024):
        switched = _post(desk, "/calls/new/phone/", {**typed, "recording": too_large})
    assert switched.status_code == 200, "a refused file does not stop a switch"  # type: ignore[attr-defined]


def test_the_channels_to_choose_from_are_named_in_the_call_taker_s_language(org: Setup, desk: Client) -> None:
    channel = _channel(org, ChannelKind.PHONE)
    channel.translations = {"zh-hans": {"name": "电话举报"}}
    channel.save()
    letters = _channel(org, ChannelKind.POST)  # no Chinese name: the default one, marked as English
    assert "电话举报" not in desk.get("/calls/").content.decode()
    chinese = desk.get("/calls/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "电话举报" in chinese
    assert f'<span lang="en">{letters.name}</span>' in chinese


def _radio_label(html: str, name: str, value: str) -> str:
    """The text of the label of one radio button."""
    found = re.search(rf'<input type="radio" name="{name}" value="{value}"[^>]*>\s*([^<]*)</label>', html)
    assert found, f"{name}={value}"
    return found.group(1).strip()


def test_yes_and_no_are_in_the_language_of_the_call(org: Setup, desk: Client) -> None:
    """Read out with the questions, the two answers of a yes/no question are in their language."""
    _channel(org, ChannelKind.PHONE)
    chinese = desk.get("/calls/new/phone/?call_language=zh-hans").content.decode()
    assert (_radio_label(chinese, "q_ongoing", "yes"), _radio_label(chinese, "q_ongoing", "no")) == ("是", "否")
    assert "Store the report and show the receipt" in chinese, "the screen itself stays in the call-taker's"
    own = desk.get("/calls/new/phone/").content.decode()
    assert (_radio_label(own, "q_ongoing", "yes"), _radio_label(own, "q_ongoing", "no")) == ("Yes", "No")
    desk.cookies.load({"django_language": "zh-hans"})
    english_call = desk.get("/calls/new/phone/?call_language=en", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "保存举报并显示回执码" in english_call, "a Chinese-speaking call-taker's screen"
    assert _radio_label(english_call, "q_ongoing", "yes") == "Yes"


def test_yes_and_no_on_the_web_form_are_in_the_reporter_s_language(org: Setup, client: Client) -> None:
    chinese = client.get("/report/web/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert _radio_label(chinese, "q_ongoing", "yes") == "是"
    english = Client().get("/report/web/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert _radio_label(english, "q_ongoing", "yes") == "Yes"


def _channel_without_questions(kind: str) -> Channel:
    channel = Channel.objects.create(slug=kind, name=f"By {kind}", kind=kind)
    register.publish_questionnaire(channel=channel)
    return channel


def _focused(html: str) -> str:
    assert html.count("autofocus") == 1, "one field has the focus"
    found = re.search(r'<(?:input|textarea)[^>]*name="(\w+)"[^>]*autofocus', html)
    assert found
    return found.group(1)


@pytest.mark.parametrize(
    ("kind", "first"), [(ChannelKind.PHONE, "recording_consent"), (ChannelKind.POST, "transcript")]
)
def test_without_questions_the_first_field_of_the_page_takes_the_focus(
    org: Setup, desk: Client, kind: str, first: str
) -> None:
    """Not the reporter's name, which comes last on the page."""
    _channel_without_questions(kind)
    assert _focused(desk.get(f"/calls/new/{kind}/").content.decode()) == first


def test_a_refused_send_lists_the_problems_in_the_order_of_the_page(org: Setup, desk: Client) -> None:
    _channel(org, ChannelKind.PHONE)
    html = _post(desk, "/calls/new/phone/", {"identity": "x" * 2001}).content.decode()  # type: ignore[attr-defined]
    links = re.findall(r'href="#id_(\w+?)(?:_0)?"', html)
    assert links.index("q_what") < links.index("recording_consent") < links.index("identity")


def test_a_meeting_speaks_of_the_reporter_and_the_meeting(org: Setup, desk: Client) -> None:
    _channel(org, ChannelKind.MEETING)
    page = desk.get("/calls/new/meeting/").content.decode()
    assert _radio_label(page, "recording_consent", "yes") == "Yes, the reporter agreed to a recording"
    assert "the caller" not in page
    assert "caller's" not in page
    data = {"q_what": "x", "q_kind": "Fraud", "recording_consent": "no", "transcript": "Minutes."}
    assert _post(desk, "/calls/new/meeting/", data).status_code == 302  # type: ignore[attr-defined]
    shown = desk.get("/calls/receipt/").content.decode()
    assert "Give the receipt to the reporter" in shown
    assert "Read the receipt out" not in shown
    assert "Next meeting" in shown
    assert "Next call" not in shown
    assert "read and confirm what you wrote down" in shown


def test_the_receipt_page_names_the_next_step_for_each_kind(org: Setup, desk: Client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    _channel(org, ChannelKind.PHONE)
    _channel(org, ChannelKind.POST)
    data = {"q_what": "x", "q_kind": "Fraud", "recording_consent": "no", "transcript": "Said x."}
    assert _post(desk, "/calls/new/phone/", data).status_code == 302  # type: ignore[attr-defined]
    shown = desk.get("/calls/receipt/").content.decode()
    assert "Read the receipt out" in shown
    assert "Next call" in shown
    assert "call again" in shown
    scan = SimpleUploadedFile("letter.jpg", jpeg_with_exif(), content_type="image/jpeg")
    assert _post(desk, "/calls/new/post/", {"q_what": "x", "q_kind": "Fraud", "files": scan}).status_code == 302  # type: ignore[attr-defined]
    letter = desk.get("/calls/receipt/").content.decode()
    assert "Next letter" in letter
    assert "Next call" not in letter
    assert "what you noted" not in letter, "nothing was noted about this letter"
    again = desk.get("/calls/receipt/").content.decode()
    assert "Next report" in again, "shown again, the page no longer knows the kind"


def test_a_recording_alone_is_not_said_to_be_written_down(org: Setup, desk: Client) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    _channel(org, ChannelKind.PHONE)
    recording = SimpleUploadedFile("call.jpg", jpeg_with_exif("x"), content_type="image/jpeg")
    data = {"q_what": "Cash", "q_kind": "Fraud", "recording_consent": "yes", "recording": recording}
    assert _post(desk, "/calls/new/phone/", data).status_code == 302  # type: ignore[attr-defined]
    shown = desk.get("/calls/receipt/").content.decode()
    assert "receipt-group" in shown
    assert "what you wrote down" not in shown
    data = {**data, "transcript": "Said cash.", "read_back": "confirmed"}
    data.pop("recording")
    assert _post(desk, "/calls/new/phone/", data).status_code == 302  # type: ignore[attr-defined]
    confirmed = desk.get("/calls/receipt/").content.decode()
    assert "read what you wrote down" in confirmed, "confirmed during the call: nothing left to confirm"


def test_the_form_for_a_caller_who_calls_again_asks_for_no_minutes(org: Setup, desk: Client) -> None:
    home = desk.get("/calls/").content.decode()
    assert "minutes" not in home
    assert "Without a yes, attach no recording" in home


def test_a_letter_s_questions_are_answered_from_the_letter(org: Setup, desk: Client) -> None:
    _channel(org, ChannelKind.POST)
    page = desk.get("/calls/new/post/").content.decode()
    assert "up to the reporter" not in page
    assert "answer the others only where the letter does" in page


@pytest.mark.parametrize("ffmpeg", [True, False])
def test_the_screen_says_which_recordings_keep_their_metadata(
    org: Setup, desk: Client, monkeypatch: pytest.MonkeyPatch, ffmpeg: bool
) -> None:
    """mat2 cleans WAV and video only with ffmpeg: without it they are said to be kept as they are."""
    monkeypatch.setattr(cleaning, "_ffmpeg_installed", lambda: ffmpeg)
    _channel(org, ChannelKind.PHONE)
    _channel(org, ChannelKind.POST)
    for page in (desk.get("/calls/new/phone/").content.decode(), desk.get("/calls/").content.decode()):
        note = re.search(r"Recordings have their metadata removed only in these formats: ([^.]*(?:\.\w+[, ]*)*)", page)
        assert note, "the formats are listed"
        assert ".mp3" in note.group(1), "mat2 cleans MP3 without ffmpeg"
        assert (".wav" in note.group(1)) is ffmpeg
        assert (".mp4" in note.group(1)) is ffmpeg
        assert "kept as it is, with its metadata, and the handlers see it marked" in page
        assert "their metadata is removed as for any report." not in page
    letter = desk.get("/calls/new/post/").content.decode()
    assert "Recordings have their metadata removed" not in letter, "a letter has no recording"


def test_without_any_cleaning_no_recording_is_said_to_be_cleaned(
    org: Setup, desk: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cleaning, "recording_extensions", list)
    _channel(org, ChannelKind.PHONE)
    page = desk.get("/calls/new/phone/").content.decode()
    assert "No recording can have its metadata removed on this server" in page


def test_the_summary_follows_the_page_whichever_check_found_the_error() -> None:
    from django import forms

    from tipline.register.error_summary import summarise

    class Form(forms.Form):
        first = forms.CharField(required=False)
        second = forms.CharField()

        def clean(self) -> dict[str, object]:
            cleaned = super().clean() or {}
            self.add_error("first", "Found by the whole form.")
            return cleaned

    problems = summarise(Form(data={}))
    assert [p.anchor for p in problems] == ["id_first", "id_second"]


@pytest.mark.parametrize(
    ("failure", "status", "said"),
    [
        (OSError(28, "No space left on device"), 503, "no room for your files"),
        (IdentityNotReceivable(), 409, "Nobody can receive an identity"),
    ],
)
def test_a_refusal_while_storing_keeps_what_the_call_taker_typed(  # noqa: PLR0917 - fixtures
    org: Setup, desk: Client, monkeypatch: pytest.MonkeyPatch, failure: Exception, status: int, said: str
) -> None:
    _channel(org, ChannelKind.PHONE)

    def refused(**kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(register, "create_report", refused)
    data = {"q_what": "Cash in envelopes", "q_kind": "Fraud", "recording_consent": "no", "transcript": "Said: cash"}
    response = _post(desk, "/calls/new/phone/", data)
    assert response.status_code == status  # type: ignore[attr-defined]
    html = response.content.decode()  # type: ignore[attr-defined]
    assert said in html
    assert "Cash in envelopes" in html, "what was typed is back in the form"
    assert "Said: cash" in html
    assert not Report.objects.exists()


def test_no_room_while_adding_to_a_report_is_said_and_adds_nothing(
    org: Setup, desk: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    version = org.channel.current_questionnaire()
    assert version is not None
    submission = register.create_report(channel=org.channel, questionnaire=version, answers={"what": "x"})

    def full(**kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(register, "post_message", full)
    response = _post(desk, "/calls/add/", {"receipt": submission.receipt, "body": "More words"})
    assert response.status_code == 503  # type: ignore[attr-defined]
    html = response.content.decode()  # type: ignore[attr-defined]
    assert "no room for your files" in html
    assert "More words</textarea>" in html


def test_a_channel_closed_while_typing_gives_back_what_was_typed(org: Setup, desk: Client) -> None:
    channel = _channel(org, ChannelKind.PHONE)
    Channel.objects.filter(pk=channel.pk).update(is_active=False)
    data = {"q_what": "Cash in envelopes", "q_kind": "Fraud", "transcript": "Said: cash"}
    response = _post(desk, "/calls/new/phone/", data)
    assert response.status_code == 409  # type: ignore[attr-defined]
    html = response.content.decode()  # type: ignore[attr-defined]
    assert "closed while you were typing" in html
    assert "Cash in envelopes" in html
    assert "Said: cash" in html
    assert not Report.objects.exists()
    assert desk.get("/calls/new/phone/").status_code == 404, "opened anew, it is simply not there"


def test_a_second_report_waits_until_the_first_ones_receipt_was_shown(org: Setup, desk: Client) -> None:
    """Two tabs: a report stored while another's receipt waits would lose that receipt."""
    _channel(org, ChannelKind.PHONE)
    first = {"q_what": "First call", "q_kind": "Fraud", "recording_consent": "no", "transcript": "One"}
    assert _post(desk, "/calls/new/phone/", first).status_code == 302  # type: ignore[attr-defined]
    second = {"q_what": "Second call", "q_kind": "Fraud", "recording_consent": "no", "transcript": "Two"}
    refused = _post(desk, "/calls/new/phone/", second)
    assert refused.status_code == 409  # type: ignore[attr-defined]
    html = refused.content.decode()  # type: ignore[attr-defined]
    assert "has not been shown yet" in html
    assert "Second call" in html, "what was typed stays"
    assert 'href="/calls/receipt/"' in html
    assert Report.objects.count() == 1
    shown = desk.get("/calls/receipt/").content.decode()
    assert 'class="receipt-group"' in shown
    assert "has not been shown yet" not in desk.get("/calls/").content.decode()
    assert _post(desk, "/calls/new/phone/", second).status_code == 302  # type: ignore[attr-defined]
    assert Report.objects.count() == 2


def test_an_unknown_channel_address_leads_back_to_the_calls_screen(org: Setup, desk: Client) -> None:
    response = desk.get("/calls/new/nowhere/")
    assert response.status_code == 404
    assert 'href="/calls/"' in response.content.decode()


@pytest.mark.parametrize("same_page", [True, False], ids=["a second click", "another tab"])
def test_a_report_sent_while_another_is_being_stored_is_refused_and_no_receipt_is_lost(
    org: Setup, desk: Client, monkeypatch: pytest.MonkeyPatch, same_page: bool
) -> None:
    """Both requests read the session before either writes it back: without a claim in the
    database both were stored, and the receipt written last was the only one ever shown."""
    from tipline.calls import claims

    _channel(org, ChannelKind.PHONE)
    page = desk.get("/calls/new/phone/").content.decode()
    [token] = re.findall(r'name="form_token" value="([^"]+)"', page)
    first = {"q_what": "First", "q_kind": "Fraud", "recording_consent": "no", "transcript": "One", "form_token": token}
    second = {**first, "q_what": "Second"} if same_page else {**first, "q_what": "Second", "form_token": "b" * 22}
    real = register.create_report
    during: list[object] = []
    sent: list[bool] = []

    def meanwhile(**kwargs: object) -> object:
        if not sent:  # the second send arrives while the first is being stored
            sent.append(True)
            other = Client(enforce_csrf_checks=True)
            other.cookies = desk.cookies  # the same browser
            during.append(_post(other, "/calls/new/phone/", second))
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(register, "create_report", meanwhile)
    monkeypatch.setattr(claims, "WAIT_FOR_THE_FIRST", 0.3)  # the same page waits for the first send
    monkeypatch.setattr(claims, "_POLL", 0.05)
    assert _post(desk, "/calls/new/phone/", first).status_code == 302  # type: ignore[attr-defined]
    [refused] = during
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert "being stored from this screen just now" in refused.content.decode()  # type: ignore[attr-defined]
    assert Report.objects.count() == 1
    groups = re.findall(r'<span class="receipt-group">(\d{4})</span>', desk.get("/calls/receipt/").content.decode())
    opened, _ = register.open_with_receipt(receipt_text="".join(groups), client_tag="test")
    assert _answers(opened, org)["what"] == "First"
    assert _post(desk, "/calls/new/phone/", second).status_code == 302, "once shown, the next one goes"  # type: ignore[attr-defined]


def test_a_refused_report_lets_the_next_send_through(org: Setup, desk: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from tipline.register.exceptions import NoRoomForFiles

    _channel(org, ChannelKind.PHONE)
    data = {"q_what": "x", "q_kind": "Fraud", "recording_consent": "no", "transcript": "t"}
    real = register.create_report

    def no_room(**kwargs: object) -> object:
        raise NoRoomForFiles

    monkeypatch.setattr(register, "create_report", no_room)
    assert _post(desk, "/calls/new/phone/", data).status_code == NoRoomForFiles.status  # type: ignore[attr-defined]
    monkeypatch.setattr(register, "create_report", real)
    assert _post(desk, "/calls/new/phone/", data).status_code == 302  # type: ignore[attr-defined]
    assert Report.objects.count() == 1


def test_the_receipt_waits_in_the_database_only_encrypted_and_is_gone_once_shown(org: Setup, desk: Client) -> None:
    from tipline.calls.models import Claim

    _channel(org, ChannelKind.PHONE)
    data = {"q_what": "x", "q_kind": "Fraud", "recording_consent": "no", "transcript": "t"}
    assert _post(desk, "/calls/new/phone/", data).status_code == 302  # type: ignore[attr-defined]
    [claim] = Claim.objects.all()
    shown = desk.get("/calls/receipt/").content.decode()
    receipt = "".join(re.findall(r'<span class="receipt-group">(\d{4})</span>', shown))
    assert len(receipt) == 16
    assert receipt.encode() not in bytes(claim.receipt_ct or b"")
    assert desk.session.session_key not in claim.digest  # type: ignore[operator]
    assert not Claim.objects.exists()
    other = Client(enforce_csrf_checks=True)
    login_staff(other, "caller-desk", PASSWORD)  # the same call-taker, another browser
    assert _post(other, "/calls/new/phone/", data).status_code == 302  # type: ignore[attr-defined]
    assert "receipt-group" not in desk.get("/calls/receipt/").content.decode(), "each session its own receipt"
    assert "receipt-group" in other.get("/calls/receipt/").content.decode()


def test_a_claim_whose_request_died_is_let_go(org: Setup, desk: Client) -> None:
    from tipline.calls import claims
    from tipline.calls.models import Claim

    _channel(org, ChannelKind.PHONE)
    data = {"q_what": "x", "q_kind": "Fraud", "recording_consent": "no", "transcript": "t"}
    desk.get("/calls/")
    digest = claims._session_digest(type("R", (), {"session": desk.session})())  # type: ignore[arg-type]
    Claim.objects.create(digest=digest, claimed_at=timezone.now())  # a send that crashed on the way
    assert _post(desk, "/calls/new/phone/", data).status_code == 409  # type: ignore[attr-defined]
    Claim.objects.update(claimed_at=timezone.now() - claims.stale_after() - timedelta(seconds=1))
    assert _post(desk, "/calls/new/phone/", data).status_code == 302  # type: ignore[attr-defined]


def test_a_page_adds_the_caller_s_message_once(org: Setup, desk: Client) -> None:
    version = org.channel.current_questionnaire()
    assert version is not None
    submission = register.create_report(channel=org.channel, questionnaire=version, answers={"what": "x"})
    [token] = re.findall(r'name="form_token" value="([^"]+)"', desk.get("/calls/").content.decode())
    wrong = {"receipt": "1111 2222 3333 4444", "body": "They moved the cash.", "form_token": token}
    assert _post(desk, "/calls/add/", wrong).status_code == 403  # type: ignore[attr-defined]
    data = {**wrong, "receipt": submission.receipt}
    assert _post(desk, "/calls/add/", data).status_code == 302, "a refused send can be sent again"  # type: ignore[attr-defined]
    again = _post(desk, "/calls/add/", data)
    assert again.status_code == 409  # type: ignore[attr-defined]
    assert "was added to their report, once" in again.content.decode()  # type: ignore[attr-defined]
    assert Message.objects.filter(report=submission.report).count() == 1
    [new_token] = re.findall(r'name="form_token" value="([^"]+)"', desk.get("/calls/").content.decode())
    fresh = {**data, "form_token": new_token}
    assert new_token != token
    assert _post(desk, "/calls/add/", fresh).status_code == 302, "a new page adds a new message"  # type: ignore[attr-defined]
    assert Message.objects.filter(report=submission.report).count() == 2


@pytest.mark.parametrize("name", ["call.wav", "scan.pdf"], ids=["named as sound", "named as a paper"])
def test_sound_among_papers_is_kept_only_as_evidence_said_so_or_with_a_yes(org: Setup, desk: Client, name: str) -> None:
    """A recording of the conversation sent as a paper needs the yes; sound handed over as
    evidence is a paper, once the call-taker says so; minutes are still required."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    version = org.channel.current_questionnaire()
    assert version is not None
    submission = register.create_report(channel=org.channel, questionnaire=version, answers={"what": "x"})
    _channel(org, ChannelKind.MEETING)

    def sound() -> SimpleUploadedFile:
        return SimpleUploadedFile(name, wav_bytes(), content_type="application/octet-stream")

    added = {"receipt": submission.receipt, "body": "More.", "recording_consent": "no"}
    refused = _post(desk, "/calls/add/", {**added, "files": sound()})
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert "Tick this box if it is evidence handed over" in refused.content.decode()  # type: ignore[attr-defined]
    met = {"q_what": "x", "q_kind": "Fraud", "recording_consent": "no", "transcript": "Minutes"}
    response = _post(desk, "/calls/new/meeting/", {**met, "files": sound()})
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "Tick this box if it is evidence handed over" in response.content.decode()  # type: ignore[attr-defined]
    assert not Message.objects.exists()
    assert Report.objects.count() == 1
    no_minutes = {**met, "recording_consent": "yes", "transcript": "", "files": sound()}
    assert _post(desk, "/calls/new/meeting/", no_minutes).status_code == 400, "sound among papers is no minutes"  # type: ignore[attr-defined]
    evidence = {**met, "media_is_evidence": "on", "files": sound()}
    assert _post(desk, "/calls/new/meeting/", evidence).status_code == 302  # type: ignore[attr-defined]
    stored = Report.objects.latest("pk")
    assert stored.recording_consent is False
    assert stored.attachments.count() == 1
    desk.get("/calls/receipt/")
    assert _post(desk, "/calls/add/", {**added, "media_is_evidence": "on", "files": sound()}).status_code == 302  # type: ignore[attr-defined]
    assert Message.objects.get().attachments.count() == 1


@pytest.mark.parametrize(
    ("name", "head", "recording"),
    [
        ("memo.bin", b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A isom", True),
        ("clip.bin", b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ", True),
        ("clip.bin", b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01webm", True),
        ("memo.bin", b"#!AMR\n" + b"\x00" * 20, True),
        ("photo.bin", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", False),
        ("note.ogg", b"plain words", True),
        ("note.txt", b"plain words", False),
    ],
)
def test_sound_and_video_are_known_by_their_content_or_their_name(
    tmp_path: Path, name: str, head: bytes, recording: bool
) -> None:
    path = tmp_path / name
    path.write_bytes(head + b"\x00" * 64)
    assert cleaning.is_recording(path, name) is recording


@pytest.mark.parametrize("url", ["/calls/new/phone/", "/calls/add/"])
def test_what_the_call_taker_stores_is_audited_in_its_own_transaction(
    org: Setup, desk: Client, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """An audit entry that cannot be written leaves nothing stored: no report or message
    without its entry (and no receipt lost with it)."""
    from django.db import OperationalError

    from tipline.audit import services as audit
    from tipline.calls.models import Claim

    _channel(org, ChannelKind.PHONE)
    version = org.channel.current_questionnaire()
    assert version is not None
    submission = register.create_report(channel=org.channel, questionnaire=version, answers={"what": "x"})
    real = audit.record

    def locked(*, action: str, **kwargs: object) -> object:
        if action.endswith("taken_by_phone"):
            raise OperationalError("database is locked")
        return real(action=action, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(audit, "record", locked)
    desk.raise_request_exception = False
    data = {"q_what": "x", "q_kind": "Fraud", "recording_consent": "no", "transcript": "t"}
    data |= {"receipt": submission.receipt, "body": "More."}
    assert _post(desk, url, data).status_code == 500  # type: ignore[attr-defined]
    assert Report.objects.count() == 1
    assert not Message.objects.exists()
    assert not Claim.objects.exists(), "the claim is let go: the call-taker can send again"
    monkeypatch.setattr(audit, "record", real)
    assert _post(desk, url, data).status_code == 302  # type: ignore[attr-defined]
    assert Report.objects.count() + Message.objects.count() == 2


def test_claims_past_their_session_are_forgotten_by_the_worker(org: Setup, desk: Client) -> None:
    from tipline.calls.models import Claim
    from tipline.jobs.registry import get_handler

    _channel(org, ChannelKind.PHONE)
    data = {"q_what": "x", "q_kind": "Fraud", "recording_consent": "no", "transcript": "t"}
    assert _post(desk, "/calls/new/phone/", data).status_code == 302  # type: ignore[attr-defined]
    get_handler("calls.forget_claims").func(None)  # type: ignore[arg-type]
    assert Claim.objects.count() == 1, "a receipt waiting in a live session stays"
    Claim.objects.update(claimed_at=timezone.now() - timedelta(hours=13))
    get_handler("calls.forget_claims").func(None)  # type: ignore[arg-type]
    assert not Claim.objects.exists()


def test_the_phone_screen_asks_about_the_caller_and_a_refused_addition_says_error_in_the_title(
    org: Setup, desk: Client
) -> None:
    _channel(org, ChannelKind.PHONE)
    html = desk.get("/calls/new/phone/").content.decode()
    assert "Did the caller agree to a recording?" in html
    assert "Yes, the caller agreed to a recording" in html
    assert "<title>Calls, letters and meetings" in desk.get("/calls/").content.decode()
    refused = _post(desk, "/calls/add/", {"receipt": "1111 2222 3333 4444", "body": "More."})
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert "<title>Error: Calls, letters and meetings" in refused.content.decode()  # type: ignore[attr-defined]


def test_a_page_sent_again_while_its_first_send_runs_waits_for_it(
    org: Setup, desk: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second click while the first send adds the message: if the first fails, the second
    adds it (the browser shows the second's answer); if the first still runs after the wait,
    the second says so, and adds nothing."""
    from tipline.calls import claims
    from tipline.calls.models import Claim

    version = org.channel.current_questionnaire()
    assert version is not None
    submission = register.create_report(channel=org.channel, questionnaire=version, answers={"what": "x"})
    [token] = re.findall(r'name="form_token" value="([^"]+)"', desk.get("/calls/").content.decode())
    data = {"receipt": submission.receipt, "body": "They moved the cash.", "form_token": token}
    first = Claim.objects.create(digest=claims._digest(b"page", token), claimed_at=timezone.now(), kind="message")
    monkeypatch.setattr(claims, "WAIT_FOR_THE_FIRST", 0.3)
    monkeypatch.setattr(claims, "_POLL", 0.05)
    still = _post(desk, "/calls/add/", data)
    assert still.status_code == 409  # type: ignore[attr-defined]
    assert "that send is still adding the caller" in still.content.decode()  # type: ignore[attr-defined]
    assert not Message.objects.exists()
    real_sleep = claims.time.sleep

    def the_first_fails(seconds: float) -> None:
        Claim.objects.filter(pk=first.pk).delete()  # as the first send does when it fails
        real_sleep(seconds)

    monkeypatch.setattr(claims.time, "sleep", the_first_fails)
    Claim.objects.filter(pk=first.pk).update(kind="message")  # (still there, running)
    assert _post(desk, "/calls/add/", data).status_code == 302  # type: ignore[attr-defined]
    assert Message.objects.filter(report=submission.report).count() == 1


def test_a_report_whose_claim_was_let_go_meanwhile_is_not_stored(
    org: Setup, desk: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A send that outlived its claim (let go as stale, another send took the session) must not
    commit a report whose receipt could be kept nowhere."""
    from tipline.calls.models import Claim

    _channel(org, ChannelKind.PHONE)
    real = register.create_report

    def outlived(**kwargs: object) -> object:
        Claim.objects.all().delete()
        return real(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(register, "create_report", outlived)
    data = {"q_what": "x", "q_kind": "Fraud", "recording_consent": "no", "transcript": "t"}
    response = _post(desk, "/calls/new/phone/", data)
    assert response.status_code == 409  # type: ignore[attr-defined]
    assert not Report.objects.exists()


def test_the_receipt_stays_for_the_browser_whose_cookie_opens_it(org: Setup, desk: Client) -> None:
    from tipline import session_vault
    from tipline.calls.models import Claim

    _channel(org, ChannelKind.PHONE)
    data = {"q_what": "x", "q_kind": "Fraud", "recording_consent": "no", "transcript": "t"}
    assert _post(desk, "/calls/new/phone/", data).status_code == 302  # type: ignore[attr-defined]
    vault = desk.cookies[session_vault.COOKIE_NAME].value
    del desk.cookies[session_vault.COOKIE_NAME]
    desk.get("/calls/receipt/")
    assert Claim.objects.exists(), "not destroyed by a request that could not open it"
    desk.cookies[session_vault.COOKIE_NAME] = vault
    assert "receipt-group" in desk.get("/calls/receipt/").content.decode()
    assert not Claim.objects.exists()


def test_the_same_page_sent_again_is_shown_the_receipt_of_its_one_report(
    org: Setup, desk: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second click whose answer the browser keeps: once the first send has stored the
    report, the second shows its receipt; if the first failed, the second stores it."""
    from tipline.calls import claims
    from tipline.calls.models import Claim

    _channel(org, ChannelKind.PHONE)
    [token] = re.findall(r'name="form_token" value="([^"]+)"', desk.get("/calls/new/phone/").content.decode())
    data = {"q_what": "Once", "q_kind": "Fraud", "recording_consent": "no", "transcript": "t", "form_token": token}
    assert _post(desk, "/calls/new/phone/", data).status_code == 302  # type: ignore[attr-defined]
    again = _post(desk, "/calls/new/phone/", data)
    assert again.status_code == 302  # type: ignore[attr-defined]
    assert again["Location"] == "/calls/receipt/"  # type: ignore[index]
    groups = re.findall(r'<span class="receipt-group">(\d{4})</span>', desk.get("/calls/receipt/").content.decode())
    assert Report.objects.count() == 1
    opened, _ = register.open_with_receipt(receipt_text="".join(groups), client_tag="test")
    assert opened == Report.objects.get()
    # The first send of another page fails while its second click waits: the second stores it.
    [token] = re.findall(r'name="form_token" value="([^"]+)"', desk.get("/calls/new/phone/").content.decode())
    data = {**data, "q_what": "Twice", "form_token": token}
    digest = claims._session_digest(type("R", (), {"session": desk.session})())  # type: ignore[arg-type]
    first = Claim.objects.create(digest=digest, claimed_at=timezone.now(), page=claims._digest(b"report-page", token))
    real_sleep = claims.time.sleep

    def the_first_fails(seconds: float) -> None:
        Claim.objects.filter(pk=first.pk).delete()
        real_sleep(seconds)

    monkeypatch.setattr(claims.time, "sleep", the_first_fails)
    assert _post(desk, "/calls/new/phone/", data).status_code == 302  # type: ignore[attr-defined]
    assert Report.objects.count() == 2
