"""A mail that could not be taken in whole is held: supervisors see why, read the original
again, download it, or discard the report; handlers cannot. Every step is audited."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from django.test import Client

from tipline.accounts.testing import login_staff
from tipline.audit.models import AuditEntry
from tipline.conftest import PASSWORD, Setup
from tipline.mailbox import services
from tipline.register.models import Channel, Quarantine, Report


def _held(channel: Channel, monkeypatch: pytest.MonkeyPatch) -> Report:
    message = EmailMessage()
    message["From"] = "Ana <ana@example.net>"
    message["Subject"] = "Held subject"
    message["Message-ID"] = "<held@example.net>"
    message.set_content("The text that a parser bug could not read.")

    with monkeypatch.context() as patch:
        patch.setattr(services.parsing, "parse", _broken)
        taken = services.take_in(channel=channel, raw=message.as_bytes())
    assert taken.report is not None
    return taken.report


def _broken(raw: bytes) -> None:
    raise ValueError("a parser bug")


def _supervisor() -> Client:
    client = Client(enforce_csrf_checks=True)
    login_staff(client, "supervisor", PASSWORD)
    return client


def _post(client: Client, url: str, data: dict[str, str] | None = None) -> object:
    return client.post(url, data or {}, HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)


def test_a_supervisor_reads_a_held_mail_again(
    org: Setup, mail_channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _held(mail_channel, monkeypatch)
    client = _supervisor()
    page = client.get(f"/console/reports/{report.reference}/").content.decode()
    assert "Held: not taken in whole" in page
    assert str(Quarantine.UNREADABLE.label) in page
    original = client.get(f"/console/reports/{report.reference}/original.eml")
    assert original.status_code == 200
    assert b"ana@example.net" in b"".join(original.streaming_content)  # type: ignore[attr-defined]
    assert _post(client, f"/console/reports/{report.reference}/held/retry/").status_code == 302  # type: ignore[attr-defined]
    report.refresh_from_db()
    assert report.quarantine == ""
    page = client.get(f"/console/reports/{report.reference}/").content.decode()
    assert "The text that a parser bug could not read." in page
    actions = set(AuditEntry.objects.filter(report_ref=report.reference).values_list("action", flat=True))
    assert {"report.original_read", "report.quarantine_retry"} <= actions


def test_a_supervisor_discards_a_held_mail_and_a_handler_cannot(
    org: Setup, mail_channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _held(mail_channel, monkeypatch)
    handler = Client(enforce_csrf_checks=True)
    login_staff(handler, "handler", PASSWORD)
    url = f"/console/reports/{report.reference}/held/discard/"
    assert _post(handler, url, {"confirm": "on"}).status_code == 403  # type: ignore[attr-defined]
    assert handler.get(f"/console/reports/{report.reference}/original.eml").status_code == 403
    supervisor = _supervisor()
    unconfirmed = _post(supervisor, url)
    assert unconfirmed.status_code == 400  # type: ignore[attr-defined]
    assert "Tick the box" in unconfirmed.content.decode()  # type: ignore[attr-defined]
    report.refresh_from_db()
    assert not report.is_purged, "one click destroys nothing"
    assert _post(supervisor, url, {"confirm": "on"}).status_code == 302  # type: ignore[attr-defined]
    report.refresh_from_db()
    assert report.is_purged
    assert report.source_blob == ""
    assert AuditEntry.objects.filter(report_ref=report.reference, action="report.discard").exists()
    # Sent again (a second tab): the report is gone, and the page says so.
    again = _post(supervisor, url, {"confirm": "on"})
    assert again.status_code == 410  # type: ignore[attr-defined]
    assert _post(supervisor, f"/console/reports/{report.reference}/held/retry/").status_code == 410  # type: ignore[attr-defined]


@pytest.mark.parametrize("kept_by", ["legal hold", "the reporter's words"])
def test_a_held_report_kept_by_a_hold_or_by_its_reporter_is_not_discarded(
    org: Setup, mail_channel: Channel, monkeypatch: pytest.MonkeyPatch, kept_by: str
) -> None:
    from tipline.register import services as register

    report = _held(mail_channel, monkeypatch)
    if kept_by == "legal hold":
        Report.objects.filter(pk=report.pk).update(legal_hold=True)
    else:  # the sender got a receipt, and wrote in the portal
        key = _report_key(report)
        register.post_message(report=report, report_key=key, body="I wrote more in the portal.")
    supervisor = _supervisor()
    refused = _post(supervisor, f"/console/reports/{report.reference}/held/discard/", {"confirm": "on"})
    assert refused.status_code == 409  # type: ignore[attr-defined]
    assert "can no longer be discarded" in refused.content.decode()  # type: ignore[attr-defined]
    report.refresh_from_db()
    assert not report.is_purged
    assert report.source_blob
    assert not AuditEntry.objects.filter(report_ref=report.reference, action="report.discard").exists()
    page = supervisor.get(f"/console/reports/{report.reference}/").content.decode()
    assert "Discard this report" not in page, "no button that can only be refused"
    assert "It can no longer be discarded" in page


def _report_key(report: Report) -> bytes:
    from tipline.accounts import services as accounts
    from tipline.accounts.models import StaffUser
    from tipline.register import keyring

    supervisor = StaffUser.objects.get(username="supervisor")
    private = accounts.unlock_private_key(user=supervisor, password=PASSWORD)
    return keyring.open_report_key(report=report, user=supervisor, private_key=private)


def test_a_retry_that_changes_nothing_is_a_warning_and_a_bounce_offers_none(
    org: Setup, mail_channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _held(mail_channel, monkeypatch)
    client = _supervisor()
    with monkeypatch.context() as patch:
        patch.setattr(services.parsing, "parse", _broken)
        _post(client, f"/console/reports/{report.reference}/held/retry/")
    page = client.get(f"/console/reports/{report.reference}/").content.decode()
    assert "flash-warning" in page
    assert "The original still cannot be read whole" in page
    Report.objects.filter(pk=report.pk).update(quarantine=Quarantine.DELIVERY_REPORT)
    page = client.get(f"/console/reports/{report.reference}/").content.decode()
    assert "Read the original again" not in page
    assert "A delivery report is never read again" in page
    assert "Download the original (names the sender)" in page
    Report.objects.filter(pk=report.pk).update(quarantine=Quarantine.LEFT_IN_MAILBOX)
    page = client.get(f"/console/reports/{report.reference}/").content.decode()
    assert "Read the original again" not in page
    assert "The mail is still in the mailbox" in page


def test_the_queue_marks_held_reports_and_finds_them(
    org: Setup, mail_channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _held(mail_channel, monkeypatch)
    version = org.channel.current_questionnaire()
    assert version is not None
    from tipline.register import services as register

    other = register.create_report(channel=org.channel, questionnaire=version, answers={"what": "x", "kind": "Fraud"})
    client = _supervisor()
    page = client.get("/console/").content.decode()
    row = page[page.index(f"/console/reports/{report.reference}/") :]
    assert '<span class="mark mark-replied">held</span>' in row[: row.index("</tr>")]
    held_only = client.get("/console/", {"held": "on"}).content.decode()
    assert report.reference in held_only
    assert other.report.reference not in held_only
