"""Nothing a reporter sends by e-mail or tells a call-taker rests in clear: markers in a
mail's subject, body, sender address and attachment, and in a call's answers, transcript
and number to call back, are in no database row, no stored file and no log line."""

from __future__ import annotations

import logging
import secrets
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from tipline.accounts import services as accounts
from tipline.accounts.models import Role
from tipline.accounts.testing import login_staff
from tipline.conftest import PASSWORD, Setup
from tipline.mailbox import services
from tipline.mailbox.dovecot import Dovecot
from tipline.register import services as register
from tipline.register.models import Channel, ChannelKind, Report
from tipline.testing import database_text


def _marker(label: str) -> str:
    return f"{label}{secrets.token_hex(8)}"


def _store_bytes() -> bytes:
    root = Path(urlsplit(settings.TIPLINE_STORAGE_URL).path)
    return b"\n".join(path.read_bytes() for path in root.rglob("*") if path.is_file())


def test_mail_and_calls_leave_no_clear_text(
    org: Setup, mail_channel: Channel, mailbox: Dovecot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    markers = {name: _marker(name) for name in ("SUBJECT", "BODY", "SENDER", "REPLYTO", "FILENAME", "FILETEXT")}
    message = EmailMessage()
    message["From"] = f"Reporter <{markers['SENDER'].lower()}@example.net>"
    message["Reply-To"] = f"{markers['REPLYTO'].lower()}@example.net"
    message["Subject"] = f"About {markers['SUBJECT']}"
    message["Message-ID"] = "<leak@example.net>"
    message.set_content(f"I saw {markers['BODY']} at the depot.")
    message.add_attachment(
        f"notes {markers['FILETEXT']}".encode(), maintype="text", subtype="plain", filename=f"{markers['FILENAME']}.txt"
    )
    mailbox.deliver(message.as_bytes())
    assert services.poll(channel=mail_channel).taken == 1

    phone = Channel.objects.create(slug="phone", kind=ChannelKind.PHONE, name="Phone")
    phone.recipients.add(org.handler)
    for question in org.channel.questions.all():
        question.pk, question.channel = None, phone
        question.save()
    register.publish_questionnaire(channel=phone)
    call = {name: _marker(name) for name in ("ANSWER", "TRANSCRIPT", "CALLER")}
    number = "+44 20 " + str(secrets.randbelow(10**8)).zfill(8)
    accounts.create_staff(username="desk", password=PASSWORD, roles=[Role.CALL_TAKER])
    desk = Client(enforce_csrf_checks=True)
    login_staff(desk, "desk", PASSWORD)
    response = desk.post(
        "/calls/new/phone/",
        {
            "q_what": f"Cash for {call['ANSWER']}",
            "q_kind": "Fraud",
            "recording_consent": "no",
            "transcript": f"The caller said {call['TRANSCRIPT']}.",
            "identity": call["CALLER"],
            "callback": number,
        },
        HTTP_X_CSRFTOKEN=desk.cookies["csrftoken"].value,
    )
    assert response.status_code == 302
    assert Report.objects.count() == 2

    secrets_sent = [*markers.values(), markers["SENDER"].lower(), markers["REPLYTO"].lower(), *call.values(), number]
    database, store = database_text(), _store_bytes()
    assert b"Report by e-mail" in database or mail_channel.name.encode() in database, "the dump must be searchable"
    logs = "\n".join(record.getMessage() for record in caplog.records)
    for secret in secrets_sent:
        assert secret.encode() not in database, f"{secret} in the database"
        assert secret.encode() not in store, f"{secret} in the attachment store"
        assert secret not in logs, f"{secret} in the log"
    for reply in mail.outbox:
        assert not any(marker in reply.body for marker in markers.values()), "the reply repeats nothing sent"
