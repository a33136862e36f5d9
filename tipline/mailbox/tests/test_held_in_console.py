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

    def broken(raw: bytes) -> None:
        raise ValueError("a parser bug")

    with monkeypatch.context() as patch:
        patch.setattr(services.parsing, "parse", broken)
        taken = services.take_in(channel=channel, raw=message.as_bytes())
    assert taken.report is not None
    return taken.report


def _post(client: Client, url: str) -> object:
    return client.post(url, HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)


def test_a_supervisor_reads_a_held_mail_again(
    org: Setup, mail_channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _held(mail_channel, monkeypatch)
    client = Client(enforce_csrf_checks=True)
    login_staff(client, "supervisor", PASSWORD)
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
    assert _post(handler, f"/console/reports/{report.reference}/held/discard/").status_code == 403  # type: ignore[attr-defined]
    assert handler.get(f"/console/reports/{report.reference}/original.eml").status_code == 403
    supervisor = Client(enforce_csrf_checks=True)
    login_staff(supervisor, "supervisor", PASSWORD)
    assert _post(supervisor, f"/console/reports/{report.reference}/held/discard/").status_code == 302  # type: ignore[attr-defined]
    report.refresh_from_db()
    assert report.is_purged
    assert report.source_blob == ""
    assert AuditEntry.objects.filter(report_ref=report.reference, action="report.discard").exists()
