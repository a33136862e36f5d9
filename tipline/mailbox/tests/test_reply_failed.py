"""A reply that could not be sent leaves its sender without a receipt: the report says so."""

from __future__ import annotations

import pytest
from django.test import Client

from tipline.accounts.testing import login_staff
from tipline.conftest import PASSWORD, Setup
from tipline.mailbox import services
from tipline.register.models import Channel, ChannelKind, MailReply

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
    assert taken.report.mail_reply_failed
    assert "the sender has no receipt" in _page(taken.report.reference)


def test_a_reply_sent_or_not_due_says_nothing(org: Setup) -> None:
    for number, mode in enumerate((MailReply.RECEIPT, MailReply.NOTHING)):
        channel = Channel.objects.create(slug=f"mail{number}", name="Mail", kind=ChannelKind.MAILBOX, mail_reply=mode)
        raw = MAIL.replace(b"<bids@", b"<bids%d@" % number)
        taken = services.take_in(channel=channel, raw=raw)
        assert taken.report is not None
        taken.report.refresh_from_db()
        assert not taken.report.mail_reply_failed
        assert "Reply to the sender" not in _page(taken.report.reference)
