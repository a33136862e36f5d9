"""A reply that could not be sent, or is not known to have been, leaves its sender perhaps
without a receipt: the report says so."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tipline.accounts.testing import login_staff
from tipline.conftest import PASSWORD, Setup
from tipline.mailbox import services
from tipline.mailbox.dovecot import Dovecot
from tipline.mailbox.tests.test_replies import smtp_port  # noqa: F401 - a fixture
from tipline.register.models import Channel, ChannelKind, MailReply, MailReplyState, Report
from tipline.testing import Mailbox, SilentAfterData, smtp_server

MAIL = (
    b"From: Ana <ana@example.net>\r\nSubject: Bids\r\nMessage-ID: <bids@example.net>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nThe tender was rigged.\r\n"
)


def _page(reference: str) -> str:
    supervisor = Client()
    login_staff(supervisor, "supervisor", PASSWORD)
    return supervisor.get(f"/console/reports/{reference}/").content.decode()


def test_a_reply_that_could_not_be_sent_is_said_on_the_report(org: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    channel = Channel.objects.create(slug="mail", name="Mail", kind=ChannelKind.MAILBOX, mail_reply=MailReply.RECEIPT)

    def refused(self: services.Replies, mail: object) -> None:
        raise OSError(111, "Connection refused")

    monkeypatch.setattr(services.Replies, "send", refused)
    taken = services.take_in(channel=channel, raw=MAIL)
    assert taken.report is not None
    taken.report.refresh_from_db()
    assert taken.report.mail_reply_state == MailReplyState.FAILED
    assert "the sender has no receipt" in _page(taken.report.reference)


def test_a_reply_sent_or_not_due_says_nothing(org: Setup) -> None:
    for number, mode in enumerate((MailReply.RECEIPT, MailReply.NOTHING)):
        channel = Channel.objects.create(slug=f"mail{number}", name="Mail", kind=ChannelKind.MAILBOX, mail_reply=mode)
        raw = MAIL.replace(b"<bids@", b"<bids%d@" % number)
        taken = services.take_in(channel=channel, raw=raw)
        assert taken.report is not None
        taken.report.refresh_from_db()
        assert taken.report.mail_reply_state == ""
        assert "Reply to the sender" not in _page(taken.report.reference)


def test_a_reply_not_known_to_be_sent_is_said_once_it_is_late(org: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker stopped between storing the report and sending its reply (here: the reply
    never returns). Within the minutes a poll takes to note its replies, nothing is said."""
    channel = Channel.objects.create(slug="mail", name="Mail", kind=ChannelKind.MAILBOX, mail_reply=MailReply.RECEIPT)

    def stopped(**kwargs: object) -> bool:
        raise KeyboardInterrupt

    monkeypatch.setattr(services, "_reply", stopped)
    with pytest.raises(KeyboardInterrupt):
        services.take_in(channel=channel, raw=MAIL)
    report = Report.objects.get()
    assert report.mail_reply_state == MailReplyState.PENDING, "stored pending, in the report's own commit"
    assert "Reply to the sender" not in _page(report.reference)
    Report.objects.filter(pk=report.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    page = _page(report.reference)
    assert "is not known to have been sent" in page
    assert "the sender has no receipt" in page


def test_a_poll_notes_its_replies_sent(
    org: Setup,
    mail_channel: Channel,
    mailbox: Dovecot,
    smtp_port: int,  # noqa: F811 - the fixture
) -> None:
    for number in range(13):  # more than one batch of removals
        mailbox.deliver(MAIL.replace(b"<bids@", b"<bids%d@" % number))
    with smtp_server(Mailbox(), port=smtp_port) as (server, _port):
        summary = services.poll(channel=mail_channel)
    assert summary.taken == 13
    assert len(server.messages) == 13
    assert set(Report.objects.values_list("mail_reply_state", flat=True)) == {""}


def test_a_poll_that_stops_early_has_noted_the_replies_it_sent(
    org: Setup,
    mail_channel: Channel,
    mailbox: Dovecot,
    smtp_port: int,  # noqa: F811 - the fixture
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for number in range(3):
        mailbox.deliver(MAIL.replace(b"<bids@", b"<early%d@" % number))

    def lost(self: object, uids: list[str]) -> None:
        raise ConnectionResetError

    monkeypatch.setattr(services.Mailbox, "remove", lost)
    with smtp_server(Mailbox(), port=smtp_port) as (server, _port), pytest.raises(ConnectionResetError):
        services.poll(channel=mail_channel)
    assert len(server.messages) == 3
    assert set(Report.objects.values_list("mail_reply_state", flat=True)) == {""}


def test_a_reply_the_relay_took_without_confirming_is_not_known_to_be_sent(
    org: Setup,
    smtp_port: int,  # noqa: F811 - the fixture
    settings: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The relay may have delivered it, receipt and all: the report does not say the sender
    has no receipt, only that the reply is not known to have been sent."""
    settings.EMAIL_TIMEOUT = 0.5
    channel = Channel.objects.create(slug="mail", name="Mail", kind=ChannelKind.MAILBOX, mail_reply=MailReply.RECEIPT)
    with smtp_server(SilentAfterData(), port=smtp_port) as (server, _port):
        taken = services.take_in(channel=channel, raw=MAIL)
        time.sleep(1.5)
    assert len(server.messages) == 1, "the relay has it"
    assert taken.report is not None
    taken.report.refresh_from_db()
    assert taken.report.mail_reply_state == MailReplyState.PENDING
    ours = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("tipline"))
    assert "did not confirm it (smtplib.SMTPServerDisconnected" in ours
    assert "ana@example.net" not in ours
    Report.objects.filter(pk=taken.report.pk).update(created_at=timezone.now() - timedelta(minutes=11))
    page = _page(taken.report.reference)
    assert "is not known to have been sent" in page
    assert "the mail server took the reply without confirming it" in page
    assert "could not be sent" not in page
