"""Handlers answer a mail report by e-mail only where its channel allows it; the sender's
address is then readable under the report key, never in clear."""

from __future__ import annotations

import time
from typing import Any

from django.core import mail
from django.test import Client

from tipline.accounts.testing import login_staff
from tipline.audit.models import AuditEntry
from tipline.conftest import PASSWORD, Setup
from tipline.register import services as register
from tipline.register.models import Channel, ChannelKind, Report
from tipline.testing import SilentAfterData, free_port, smtp_server

ADDRESS = "ana.sender@example.net"


def _mail_report(org: Setup, *, answers_allowed: bool, address: str = ADDRESS) -> Report:
    channel = Channel.objects.create(
        slug="mail",
        kind=ChannelKind.MAILBOX,
        name="Mail",
        email_address="tips@example.org",
        mail_answers=answers_allowed,
    )
    channel.recipients.add(org.handler)
    version = register.publish_questionnaire(channel=channel)
    submission = register.create_report(
        channel=channel,
        questionnaire=version,
        answers={},
        identity=f"Ana <{address}>",
        reply_address=address if answers_allowed else "",
    )
    return submission.report


def _reply(org: Setup, report: Report, *, by_email: bool) -> str:
    client = Client(enforce_csrf_checks=True)
    login_staff(client, "handler", PASSWORD)
    url = f"/console/reports/{report.reference}/"
    page = client.get(url).content.decode()
    data = {"body": "Could you tell us the date?", **({"by_email": "on"} if by_email else {})}
    response = client.post(url, data, HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
    assert response.status_code == 302
    return page


def test_an_answer_goes_by_email_where_the_channel_allows_it(org: Setup) -> None:
    report = _mail_report(org, answers_allowed=True)
    assert ADDRESS.encode() not in bytes(report.reply_address_ct or b"")
    page = _reply(org, report, by_email=True)
    assert 'name="by_email"' in page
    [sent] = mail.outbox
    assert sent.to == [ADDRESS]
    assert sent.from_email == "tips@example.org"
    assert "Could you tell us the date?" in sent.body
    assert "not confidential" in sent.body
    assert "电子邮件并不保密" in sent.body  # the footer in every site language
    assert sent.subject == "About your report / 关于您的举报"
    assert AuditEntry.objects.filter(report_ref=report.reference, action="message.sent_by_email").exists()


def test_no_email_answer_where_the_channel_does_not_allow_it(org: Setup) -> None:
    report = _mail_report(org, answers_allowed=False)
    assert report.reply_address_ct is None
    page = _reply(org, report, by_email=True)
    assert 'name="by_email"' not in page
    assert mail.outbox == []
    assert report.messages.count() == 1, "the answer is in the portal all the same"


def test_an_answer_reaches_an_address_written_beyond_ascii(org: Setup, settings: Any) -> None:
    """Sent with SMTPUTF8, as the address is written (Django's own sending would address an
    encoded word no server delivers), to a real SMTP server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    report = _mail_report(org, answers_allowed=True, address="张伟@example.cn")
    with smtp_server(port=settings.EMAIL_PORT, utf8=True) as (server, _port):
        _reply(org, report, by_email=True)
    [sent] = server.messages
    assert str(sent["To"]) == "张伟@example.cn"
    assert "Could you tell us the date?" in sent.get_body().get_content()
    assert AuditEntry.objects.filter(report_ref=report.reference, action="message.sent_by_email").exists()


def _reply_page(org: Setup, report: Report) -> str:
    client = Client(enforce_csrf_checks=True)
    login_staff(client, "handler", PASSWORD)
    url = f"/console/reports/{report.reference}/"
    client.get(url)
    data = {"body": "Could you tell us the date?", "by_email": "on"}
    response = client.post(url, data, HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_an_answer_the_relay_took_without_confirming_is_said_so(org: Setup, settings: Any) -> None:
    """The handler is told it may have arrived and not to send it again, rather than that it
    could not be sent (which would invite sending it twice)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_TIMEOUT = 0.5
    report = _mail_report(org, answers_allowed=True)
    with smtp_server(SilentAfterData(), port=settings.EMAIL_PORT) as (server, _port):
        page = _reply_page(org, report)
        time.sleep(1.5)
    assert len(server.messages) == 1
    assert "did not confirm it" in page
    assert "Do not send it again by e-mail" in page
    assert "could not be sent by e-mail" not in page
    actions = set(AuditEntry.objects.filter(report_ref=report.reference).values_list("action", flat=True))
    assert "message.sent_by_email_unconfirmed" in actions
    assert "message.sent_by_email" not in actions


def test_an_answer_the_relay_refused_is_said_not_sent(org: Setup, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens there
    report = _mail_report(org, answers_allowed=True)
    page = _reply_page(org, report)
    assert "It could not be sent by e-mail" in page
    assert not AuditEntry.objects.filter(report_ref=report.reference, action__startswith="message.sent_by_email")
