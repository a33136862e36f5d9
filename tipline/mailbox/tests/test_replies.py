"""The replies of a poll go out over one SMTP session, to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import asyncio
import smtplib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.mail import EmailMessage
from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper

from tipline.conftest import Setup
from tipline.mailbox import services
from tipline.mailbox.dovecot import Dovecot
from tipline.mailbox.tests.test_ingest import _mail
from tipline.register import outgoing_mail
from tipline.register.models import Channel, MailReplyState, Report
from tipline.testing import Mailbox, free_port, smtp_server


@dataclass
class Sessions(Mailbox):
    """A mailbox that notes the client end of the session each message came over."""

    peers: list[tuple[str, int]] = field(default_factory=list)
    return_paths: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.peers.append(session.peer)
        self.return_paths.append(envelope.mail_from)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def smtp_port(settings: Any) -> Iterator[int]:
    """The port the app sends to, with Django's SMTP backend (the tests' default is memory)."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    return port


def _reply(number: int) -> EmailMessage:
    return EmailMessage(subject=f"reply {number}", body="Received.", from_email="tips@example.org", to=["a@b.net"])


def test_a_poll_answers_every_sender_over_one_session(
    org: Setup, mail_channel: Channel, mailbox: Dovecot, smtp_port: int
) -> None:
    senders = [f"Sender {n} <sender{n}@example.net>" for n in range(4)]
    for number, sender in enumerate(senders):
        mailbox.deliver(_mail(sender=sender, message_id=f"<m{number}@example.net>"))
    with smtp_server(Sessions(), port=smtp_port) as (server, _port):
        summary = services.poll(channel=mail_channel)
    assert (summary.taken, summary.failed) == (4, 0)
    assert sorted(str(m["To"]) for m in server.messages) == sorted(f"sender{n}@example.net" for n in range(4))
    assert all("Your receipt:" in m.get_body().get_content() for m in server.messages)
    assert isinstance(server, Sessions)
    assert len(set(server.peers)) == 1, "one session for the whole poll"
    assert server.return_paths == ["<>"] * 4, "MAIL FROM:<>: a reply never bounces back with its receipt"
    assert {str(m["From"]) for m in server.messages} == {"tips@example.org"}


def test_a_session_the_server_dropped_is_opened_again(smtp_port: int) -> None:
    received = Sessions()
    with services.Replies() as replies:
        replies.check_after_seconds = 0  # as if idle for minutes: checked before each reply
        with smtp_server(received, port=smtp_port):
            replies.send(_reply(1))
        with smtp_server(received, port=smtp_port):  # the server went away and came back
            replies.send(_reply(2))
            replies.send(_reply(3))
    assert [str(m["Subject"]) for m in received.messages] == ["reply 1", "reply 2", "reply 3"]
    assert len(set(received.peers)) == 2, "a new session after the old one was closed, then kept"


@dataclass
class _Slow(Sessions):
    """A server that takes the second mail's data, then answers only after a while."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        answer = await super().handle_DATA(server, session, envelope)
        if len(self.messages) == 2:
            await asyncio.sleep(2)
        return answer


def test_a_reply_the_server_may_have_taken_is_never_sent_twice(smtp_port: int, settings: Any) -> None:
    """The server timed out after the mail's data: it may have taken the reply, receipt and
    all, so it is not sent again; the next reply goes on a new session."""
    settings.EMAIL_TIMEOUT = 0.5
    received = _Slow()
    with smtp_server(received, port=smtp_port), services.Replies() as replies:
        replies.send(_reply(1))
        with pytest.raises(outgoing_mail.DeliveryUnknown):
            replies.send(_reply(2))  # on the session the first one opened
        time.sleep(2.5)
        replies._backend.timeout = 10  # type: ignore[attr-defined]
        replies.send(_reply(3))
    assert [str(m["Subject"]) for m in received.messages] == ["reply 1", "reply 2", "reply 3"]
    assert len(set(received.peers)) == 2, "a new session after the one that broke"


def _first_refused_then_sent(received: Sessions, port: int, refusal: type[Exception]) -> None:
    """Two replies over one ``Replies``: the relay refuses the first, the second arrives."""
    with smtp_server(received, port=port), services.Replies() as replies:
        with pytest.raises(refusal):
            replies.send(_reply(1))
        replies.send(_reply(2))
    assert [str(m["Subject"]) for m in received.messages] == ["reply 2"]


@dataclass
class _RefusingData(Sessions):
    """A relay that refuses the first mail once it has its data, then takes mail."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        if not self.peers:
            self.peers.append(session.peer)
            return "554 5.6.0 Message refused"
        return await super().handle_DATA(server, session, envelope)


def test_a_reply_refused_after_its_data_is_a_refusal_and_the_session_goes_on(smtp_port: int) -> None:
    """A relay that answers the data with a refusal did not deliver it: a plain refusal,
    not an unconfirmed one, and the next reply goes on the same session."""
    received = _RefusingData()
    _first_refused_then_sent(received, smtp_port, smtplib.SMTPDataError)
    assert len(set(received.peers)) == 1


def test_a_reply_whose_data_could_not_all_be_written_is_refused_not_unconfirmed(
    smtp_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The session broke while the data went out: the end of the data never reached the
    relay, so nothing was delivered (a refusal, not "may have been delivered")."""
    received = Sessions()
    real_send = smtplib.SMTP.send

    def breaks_in_the_data(session: smtplib.SMTP, data: Any) -> None:
        if isinstance(data, bytes) and data.endswith(b"\r\n.\r\n"):
            monkeypatch.setattr(smtplib.SMTP, "send", real_send)
            session.close()
            raise smtplib.SMTPServerDisconnected("Server not connected")
        real_send(session, data)

    with smtp_server(received, port=smtp_port), services.Replies() as replies:
        monkeypatch.setattr(smtplib.SMTP, "send", breaks_in_the_data)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            replies.send(_reply(1))
        replies.send(_reply(2))
    assert [str(m["Subject"]) for m in received.messages] == ["reply 2"]


def test_a_line_starting_with_a_period_arrives_as_written(smtp_port: int) -> None:
    """The data is dot-stuffed (RFC 5321 4.5.2): a line of a single period does not end the
    mail early, and one that starts with a period keeps it."""
    received = Sessions()
    body = "Line one\n.\n.hidden\n..two\nend"
    mail = EmailMessage(subject="dots", body=body, from_email="tips@example.org", to=["a@b.net"])
    with smtp_server(received, port=smtp_port), services.Replies() as replies:
        replies.send(mail)
    [sent] = received.messages
    assert sent.get_body().get_content().replace("\r\n", "\n").rstrip("\n") == body


@dataclass
class _ShuttingDownOnce(Sessions):
    """A relay that answers the first recipient with 421 (closing down), then takes mail."""

    refused: int = 0

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if not self.refused:
            self.refused += 1
            return "421 4.3.2 Shutting down"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_a_session_the_relay_closed_with_421_is_opened_again_for_the_next_reply(smtp_port: int) -> None:
    """smtplib closes the session on a 421 but raises it as a refusal: the next reply, at once,
    opens a new session rather than failing on the closed one."""
    _first_refused_then_sent(_ShuttingDownOnce(), smtp_port, smtplib.SMTPRecipientsRefused)


def test_without_a_mail_server_the_mail_is_still_taken_in(
    org: Setup, mail_channel: Channel, mailbox: Dovecot, smtp_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    for number in range(3):
        mailbox.deliver(_mail(message_id=f"<down{number}@example.net>", body=f"Report {number}"))
    summary = services.poll(channel=mail_channel)  # nothing listens on the port
    assert (summary.taken, summary.failed) == (3, 0)
    assert Report.objects.filter(channel=mail_channel).count() == 3
    assert mailbox.count() == 0
    assert caplog.text.count("could not be sent") == 3
    with smtp_server(Sessions(), port=smtp_port) as (server, _port):  # the server is back: replies go again
        mailbox.deliver(_mail(message_id="<back@example.net>", body="After the outage"))
        assert services.poll(channel=mail_channel).taken == 1
    assert len(server.messages) == 1


def test_a_refused_address_costs_only_its_own_reply(smtp_port: int) -> None:
    received = Sessions()
    with smtp_server(received, port=smtp_port), services.Replies() as replies:
        replies.send(_reply(1))
        with pytest.raises(ValueError):
            replies.send(EmailMessage(subject="bad", body="x", from_email="tips@example.org", to=["a@b\nc"]))
        replies.send(_reply(2))
    assert [str(m["Subject"]) for m in received.messages] == ["reply 1", "reply 2"]
    assert len(set(received.peers)) == 1


@dataclass
class Envelopes(Sessions):
    """A mailbox that notes each message's envelope recipients."""

    recipients: list[list[str]] = field(default_factory=list)
    options: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.recipients.append(list(envelope.rcpt_tos))
        self.options.append(list(envelope.mail_options))
        return await super().handle_DATA(server, session, envelope)


# As such mail arrives (RFC 6532): its headers in UTF-8 as they are.
EAI_MAIL = (
    "From: 张伟 <张伟@example.cn>\r\nTo: tips@example.org\r\nSubject: 举报\r\nMessage-ID: <eai@example.cn>\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n工地有人收钱。\r\n"
).encode()


def test_an_address_written_beyond_ascii_gets_its_reply_with_smtputf8(
    org: Setup, mail_channel: Channel, mailbox: Dovecot, smtp_port: int
) -> None:
    mailbox.deliver(EAI_MAIL)
    mailbox.deliver(_mail(sender="Ana <ana@example.net>", message_id="<ascii@example.net>"))
    with smtp_server(Envelopes(), port=smtp_port, utf8=True) as (server, _port):
        summary = services.poll(channel=mail_channel)
    assert (summary.taken, summary.failed) == (2, 0)
    assert isinstance(server, Envelopes)
    assert sorted(server.recipients) == [["ana@example.net"], ["张伟@example.cn"]]
    assert server.return_paths == ["<>", "<>"]
    assert sorted("SMTPUTF8" in options and "BODY=8BITMIME" in options for options in server.options) == [False, True]
    eai = server.to("张伟@example.cn")
    assert len(eai) == 1, "the To header names the address as it is written"
    assert "Your receipt:" in eai[0].get_body().get_content()
    assert str(eai[0]["Auto-Submitted"]) == "auto-replied"
    assert set(Report.objects.values_list("mail_reply_state", flat=True)) == {""}


def test_a_server_without_smtputf8_costs_only_that_reply(
    org: Setup, mail_channel: Channel, mailbox: Dovecot, smtp_port: int
) -> None:
    mailbox.deliver(EAI_MAIL)
    mailbox.deliver(_mail(sender="Ana <ana@example.net>", message_id="<ascii@example.net>"))
    with smtp_server(Envelopes(), port=smtp_port) as (server, _port):
        summary = services.poll(channel=mail_channel)
    assert (summary.taken, summary.failed) == (2, 0)
    assert isinstance(server, Envelopes)
    assert server.recipients == [["ana@example.net"]], "never to an address written as an encoded word"
    assert sorted(Report.objects.values_list("mail_reply_state", flat=True)) == ["", MailReplyState.FAILED]


def test_a_domain_idna_2003_would_change_goes_as_written(smtp_port: int) -> None:
    """Python's IDNA 2003 (Django's sending) writes straße.de as strasse.de, another domain;
    other domains beyond ASCII are written in ASCII as both standards agree."""
    received = Envelopes()
    with smtp_server(received, port=smtp_port, utf8=True), services.Replies() as replies:
        for address in ("ana@straße.de", "ana@bücher.de"):
            replies.send(EmailMessage(subject="r", body="Received.", from_email="tips@example.org", to=[address]))
    assert received.recipients == [["ana@straße.de"], ["ana@xn--bcher-kva.de"]]
    assert ["SMTPUTF8" in options for options in received.options] == [True, False]


def test_a_mail_refused_mid_transaction_leaves_the_session_ready_for_the_next(
    smtp_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A mail that fails once its transaction is open (MAIL FROM taken, a recipient not):
    without a reset, the server would refuse the next reply's MAIL FROM on the session."""
    received = Envelopes()
    real_rcpt = smtplib.SMTP.rcpt

    def rcpt_fails_once(session: smtplib.SMTP, *args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(smtplib.SMTP, "rcpt", real_rcpt)
        raise UnicodeEncodeError("ascii", "张", 0, 1, "cannot be written")

    with smtp_server(received, port=smtp_port, utf8=True), services.Replies() as replies:
        replies.send(_reply(1))
        monkeypatch.setattr(smtplib.SMTP, "rcpt", rcpt_fails_once)
        with pytest.raises(UnicodeEncodeError):
            replies.send(EmailMessage(subject="x", body="x", from_email="tips@example.org", to=["张伟@example.cn"]))
        replies.send(_reply(2))
    assert [str(m["Subject"]) for m in received.messages] == ["reply 1", "reply 2"]


def test_an_address_the_header_parser_stumbles_on_is_a_refused_reply(smtp_port: int) -> None:
    """The standard library's address parser raises IndexError on some addresses: a refused
    reply (ValueError, which the callers note), never an error they do not expect."""
    with smtp_server(Envelopes(), port=smtp_port, utf8=True), services.Replies() as replies:
        with pytest.raises(ValueError):
            replies.send(EmailMessage(subject="x", body="x", from_email="tips@example.org", to=["张伟@"]))
        replies.send(_reply(1))


def test_an_address_with_a_line_break_is_refused_not_cut_short(smtp_port: int) -> None:
    received = Envelopes()
    with smtp_server(received, port=smtp_port, utf8=True), services.Replies() as replies:
        bcc = ["张伟@exa\nmple.cn"]
        with pytest.raises(ValueError, match="line break"):
            replies.send(EmailMessage(subject="x", body="x", from_email="tips@example.org", to=["a@b.cn"], bcc=bcc))
    assert received.recipients == []


def test_a_relay_that_takes_only_helo_refuses_an_address_beyond_ascii(smtp_port: int) -> None:
    received = Envelopes()
    with smtp_server(received, port=smtp_port, utf8=True), services.Replies() as replies:
        replies.send(_reply(1))
        session = replies._backend.connection  # type: ignore[attr-defined]
        session.helo_resp, session.ehlo_resp, session.esmtp_features = b"ok", None, {}  # as after HELO alone
        session.does_esmtp = False
        with pytest.raises(smtplib.SMTPNotSupportedError):
            replies.send(EmailMessage(subject="x", body="x", from_email="tips@example.org", to=["张伟@example.cn"]))
        replies.send(_reply(2))
    assert [str(m["Subject"]) for m in received.messages] == ["reply 1", "reply 2"]


class _Counted:
    """Database connections opened and closed, by thread."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.opened: list[int] = []
        self.closed: list[int] = []
        wrapper_class = type(connections["default"])  # SQLite's own close() keeps a database in memory open
        real_connect, real_close = wrapper_class.connect, wrapper_class.close

        def connect(wrapper: BaseDatabaseWrapper) -> None:
            self.opened.append(threading.get_ident())
            real_connect(wrapper)

        def close(wrapper: BaseDatabaseWrapper) -> None:
            if wrapper.connection is not None:
                self.closed.append(threading.get_ident())
            real_close(wrapper)

        monkeypatch.setattr(wrapper_class, "connect", connect)
        monkeypatch.setattr(wrapper_class, "close", close)

    def elsewhere(self, found: list[int]) -> list[int]:
        return sorted(ident for ident in found if ident != threading.get_ident())


@dataclass(frozen=True)
class _Reading:
    """An intake that only reads, or fails, in the thread that runs it."""

    fail: bool = False

    def take_in(self, raw: bytes) -> int:
        if self.fail:
            raise RuntimeError(raw.decode())
        return Report.objects.count() + len(raw)


@pytest.mark.django_db(transaction=True)
def test_intake_threads_keep_one_connection_each_and_close_it_at_the_end(monkeypatch: pytest.MonkeyPatch) -> None:
    counted = _Counted(monkeypatch)
    with services._Threads(3) as threads:
        futures = [threads.submit(_Reading(fail=n == 4), b"x" * n) for n in range(12)]  # type: ignore[arg-type]
        results = [future.exception() or future.result() for future in futures]
    assert [str(r) for r in results] == [str(n) for n in range(4)] + ["xxxx"] + [str(n) for n in range(5, 12)]
    assert len(counted.elsewhere(counted.opened)) == len(set(counted.opened)) <= 3, "a connection a thread"
    assert counted.elsewhere(counted.closed) == counted.elsewhere(counted.opened), "each closed when its thread ended"


@pytest.mark.django_db(transaction=True)
def test_a_poll_taken_in_by_several_threads(
    org: Setup, mail_channel: Channel, mailbox: Dovecot, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if connection.vendor == "sqlite":
        pytest.skip("the suite's SQLite database lives in memory, shared without waiting for its lock")
    settings.TIPLINE_MAIL_THREADS = 3
    for number in range(9):
        mailbox.deliver(_mail(message_id=f"<thread{number}@example.net>", body=f"Report {number}"))
    counted = _Counted(monkeypatch)
    summary = services.poll(channel=mail_channel)
    assert (summary.taken, summary.failed) == (9, 0)
    assert mailbox.count() == 0
    assert Report.objects.filter(channel=mail_channel).count() == 9
    assert len(counted.elsewhere(counted.opened)) <= 3, "one connection a thread, not one a message"
    assert counted.elsewhere(counted.closed) == counted.elsewhere(counted.opened)
