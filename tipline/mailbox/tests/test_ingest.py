"""Mail delivered to a real Dovecot and taken in by the mailbox channel."""

from __future__ import annotations

import imaplib
import io
import zipfile
from datetime import timedelta
from email.message import EmailMessage

import pytest
from django.core import mail
from django.utils import timezone, translation
from django.utils.translation import gettext

from tipline.accounts import services as accounts
from tipline.audit.models import AuditEntry
from tipline.conftest import PASSWORD, Setup, jpeg_with_exif
from tipline.crypto.receipt import format_receipt
from tipline.mailbox import parsing, services
from tipline.mailbox.dovecot import Dovecot
from tipline.register import keyring, outgoing_mail, quarantine
from tipline.register import services as register
from tipline.register.exceptions import NoLongerHeld
from tipline.register.models import Attachment, Channel, ChannelKind, MailReply, Quarantine, Report, ReportLink


def _mail(
    *,
    subject: str = "Bribes at the depot",
    body: str | None = "The manager takes cash for permits.",
    html: str | None = None,
    sender: str = "Ana Teller <ana@example.net>",
    message_id: str | None = "<one@example.net>",
    files: list[tuple[str, bytes, str]] = (),  # type: ignore[assignment]
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "tips@example.org"
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    if body is not None:
        message.set_content(body)
    if html is not None:
        if body is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for name, data, kind in files:
        maintype, subtype = kind.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def _answers(report: Report, org: Setup) -> dict[str, object]:
    key = keyring.open_report_key(
        report=report, user=org.handler, private_key=accounts.unlock_private_key(user=org.handler, password=PASSWORD)
    )
    return {question["key"]: value for question, value in register.read_answers(report=report, report_key=key)}


def _supervisor_view(report: Report, org: Setup) -> tuple[str, bytes]:
    private = accounts.unlock_private_key(user=org.supervisor, password=PASSWORD)
    identity_key = keyring.open_identity_key(report=report, user=org.supervisor, private_key=private)
    return (
        register.read_identity(report=report, identity_key=identity_key),
        register.read_source(report=report, identity_key=identity_key),
    )


def test_a_mail_becomes_a_report_with_its_sender_sealed(org: Setup, mail_channel: Channel, mailbox: Dovecot) -> None:
    raw = _mail()
    mailbox.deliver(raw)
    summary = services.poll(channel=mail_channel)
    assert (summary.taken, summary.failed) == (1, 0)
    report = Report.objects.get(channel=mail_channel)
    answers = _answers(report, org)
    assert answers["subject"] == "Bribes at the depot"
    assert answers["message"] == "The manager takes cash for permits."
    identity, source = _supervisor_view(report, org)
    assert identity == "Ana Teller <ana@example.net>"
    assert source == raw.replace(b"\r\n", b"\n") or source.replace(b"\r\n", b"\n") == raw.replace(b"\r\n", b"\n")
    assert b"ana@example.net" not in bytes(report.identity_ct or b"")
    assert mailbox.count() == 0, "removed from the mailbox once stored"
    assert report.source_digest


def test_the_receipt_mail_lets_the_sender_go_on_anonymously(
    org: Setup, mail_channel: Channel, mailbox: Dovecot
) -> None:
    mailbox.deliver(_mail())
    services.poll(channel=mail_channel)
    [reply] = mail.outbox
    assert reply.to == ["ana@example.net"]
    assert "not confidential" in reply.body
    assert reply.extra_headers["Auto-Submitted"] == "auto-replied"
    digits = "".join(ch for ch in reply.body.split("Your receipt:")[1].split("\n")[0] if ch.isdigit())
    assert len(digits) == 16
    report, _ = register.open_with_receipt(receipt_text=digits, client_tag="mail-test")
    assert report.channel == mail_channel
    # Nothing says which site language the sender reads: the reply is in each, the default first.
    english, chinese = reply.body.split(outgoing_mail.SEPARATOR)
    assert "/how-to-report/" in english
    assert "/zh-hans/how-to-report/" in chinese
    assert "电子邮件并不保密" in chinese
    assert reply.body.count(format_receipt(digits)) == 2
    with translation.override("zh-hans"):
        assert gettext("Your report was received") in reply.subject
    assert reply.subject.startswith("Your report was received / ")


@pytest.mark.parametrize("mode", [MailReply.NOTHING, MailReply.ACKNOWLEDGEMENT])
def test_the_channel_chooses_the_reply(org: Setup, mail_channel: Channel, mailbox: Dovecot, mode: str) -> None:
    Channel.objects.filter(pk=mail_channel.pk).update(mail_reply=mode)
    mail_channel.refresh_from_db()
    mailbox.deliver(_mail())
    services.poll(channel=mail_channel)
    if mode == MailReply.NOTHING:
        assert mail.outbox == []
    else:
        [reply] = mail.outbox
        assert "Your receipt" not in reply.body
        assert "not confidential" in reply.body


def test_automatic_mail_gets_no_reply(org: Setup, mail_channel: Channel, mailbox: Dovecot) -> None:
    raw = _mail().replace(b"Subject:", b"Auto-Submitted: auto-replied\nSubject:", 1)
    mailbox.deliver(raw)
    assert services.poll(channel=mail_channel).taken == 1
    assert mail.outbox == []


def test_mail_from_a_null_sender_gets_no_reply(org: Setup, mail_channel: Channel) -> None:
    """RFC 3834: a message whose return path is empty is never answered."""
    raw = _mail().replace(b"Subject:", b"Return-Path: <>\nSubject:", 1)
    assert services.take_in(channel=mail_channel, raw=raw).result is services.Result.TAKEN
    assert mail.outbox == []


def _bounce(quoted: str) -> bytes:
    """A delivery status notification quoting the reply it bounces, as a mail server sends it."""
    return (
        "Return-Path: <>\nFrom: Mail Delivery System <mailer-daemon@example.net>\nTo: tips@example.org\n"
        "Subject: Undelivered Mail Returned to Sender\nMessage-ID: <bounce@example.net>\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        "--b\nContent-Type: text/plain\n\nThis is the mail system. Your message could not be delivered.\n"
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
        "Final-Recipient: rfc822; typo@example.nt\nAction: failed\nStatus: 5.1.2\n"
        "--b\nContent-Type: message/rfc822\n\nFrom: tips@example.org\nTo: typo@example.nt\n"
        f"Subject: Your report was received\n\n{quoted}\n--b--\n"
    ).encode()


def test_a_bounce_quoting_a_receipt_is_held_unread(org: Setup, mail_channel: Channel) -> None:
    """The recipients of the channel must not read another report's receipt in it."""
    raw = _bounce("Your receipt: 1234 5678 9012 3456")
    taken = services.take_in(channel=mail_channel, raw=raw)
    assert taken.result is services.Result.QUARANTINED
    assert taken.report is not None
    assert taken.report.quarantine == Quarantine.DELIVERY_REPORT
    answers = _answers(taken.report, org)
    assert "1234" not in str(answers)
    assert answers["subject"] == "Undelivered Mail Returned to Sender"
    assert not Attachment.objects.filter(report=taken.report).exists()
    assert mail.outbox == [], "a bounce is never answered"
    assert b"1234 5678 9012 3456" in _supervisor_view(taken.report, org)[1], "the original is kept, sealed"
    assert not quarantine.can_retry(taken.report), "the console offers no retry"
    private = accounts.unlock_private_key(user=org.supervisor, password=PASSWORD)
    report_key = keyring.open_report_key(report=taken.report, user=org.supervisor, private_key=private)
    identity_key = keyring.open_identity_key(report=taken.report, user=org.supervisor, private_key=private)
    assert not services.retry_quarantined(
        report=taken.report, by=org.supervisor, report_key=report_key, identity_key=identity_key
    ), "a retry does not take its text in either"


def test_the_receipt_goes_to_the_writer_not_to_a_reply_to(org: Setup, mail_channel: Channel) -> None:
    raw = _mail().replace(b"Subject:", b"Reply-To: team@lists.example.net\nSubject:", 1)
    report = services.take_in(channel=mail_channel, raw=raw).report
    assert report is not None
    [reply] = mail.outbox
    assert reply.to == ["ana@example.net"]
    identity, _original = _supervisor_view(report, org)
    assert identity == "Ana Teller <ana@example.net>\nReply-To: team@lists.example.net"


def test_an_html_only_mail_is_read_as_text(org: Setup, mail_channel: Channel, mailbox: Dovecot) -> None:
    html = "<p>Cash <b>every</b> Friday &amp; Monday</p><script>alert(1)</script><p>Depot&nbsp;3</p>"
    mailbox.deliver(_mail(body=None, html=html))
    services.poll(channel=mail_channel)
    message = str(_answers(Report.objects.get(), org)["message"])
    assert "Cash every Friday & Monday" in message
    assert "Depot\xa03" in message
    assert "<" not in message
    assert "alert" not in message


def test_a_photo_is_cleaned_like_a_web_upload(org: Setup, mail_channel: Channel, mailbox: Dovecot) -> None:
    mailbox.deliver(_mail(files=[("depot.jpg", jpeg_with_exif("MailCamMarker"), "image/jpeg")]))
    services.poll(channel=mail_channel)
    report = Report.objects.get()
    key = keyring.open_report_key(
        report=report, user=org.handler, private_key=accounts.unlock_private_key(user=org.handler, password=PASSWORD)
    )
    attachment = Attachment.objects.get(report=report)
    info = register.describe_attachment(attachment=attachment, report_key=key)
    assert info.name == "depot.jpg"
    assert info.cleaned
    data = b"".join(register.stream_attachment(attachment=attachment, report_key=key))
    assert data.startswith(b"\xff\xd8")
    assert b"MailCamMarker" not in data


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\0" * (64 * 1024 * 1024))
    return buffer.getvalue()


def _bad_mails() -> dict[str, bytes]:
    many_parts = EmailMessage()
    many_parts["From"] = "many@example.net"
    many_parts["Subject"] = "Many parts"
    many_parts.set_content("see the parts")
    for index in range(400):
        many_parts.add_attachment(f"part {index}".encode(), maintype="text", subtype="plain", filename=f"p{index}.txt")
    nested = EmailMessage()
    nested["From"] = "fwd@example.net"
    nested["Subject"] = "Fwd: evidence"
    nested.set_content("Forwarding what I received.")
    nested.add_attachment(_inner())
    return {
        "malformed MIME": (
            b"From: broken@example.net\nSubject: broken\nMIME-Version: 1.0\n"
            b'Content-Type: multipart/mixed; boundary="never-closed"\n\n--never-closed\n'
            b"Content-Type: text/plain\n\nThe text before the boundary breaks\n--never-cl"
        ),
        "unknown charset": (
            b"From: charset@example.net\nSubject: charset\nContent-Type: text/plain; charset=x-no-such-charset\n\n"
            b"caf\xe9 au lait\n"
        ),
        "lying charset": (
            b"From: liar@example.net\nSubject: liar\nContent-Type: text/plain; charset=utf-8\n\ncaf\xe9 \xff\xfe\n"
        ),
        "8-bit headers": b"From: J\xf6rg <joerg@example.net>\nSubject: Stra\xdfe \xe9\n\nbody\n",
        "nested message": nested.as_bytes(),
        "zip bomb": _mail(subject="archive", files=[("zeros.zip", _zip_bomb(), "application/zip")], message_id=None),
        "many parts": many_parts.as_bytes(),
        "empty body": b"From: empty@example.net\nSubject: \n\n",
        "no Message-ID": _mail(subject="no id", message_id=None),
    }


def _inner() -> EmailMessage:
    inner = EmailMessage()
    inner["From"] = "boss@example.net"
    inner["Subject"] = "Envelope for Friday"
    inner.set_content("Bring the envelope on Friday.")
    return inner


def test_bad_mail_never_stops_the_loop(org: Setup, mail_channel: Channel, mailbox: Dovecot, settings: object) -> None:
    settings.TIPLINE_MAIL_MAX_BYTES = 3 * 1024 * 1024  # type: ignore[attr-defined]
    bad = _bad_mails()
    bad["too large"] = _mail(subject="big", files=[("big.bin", b"x" * (4 * 1024 * 1024), "application/octet-stream")])
    for raw in bad.values():
        mailbox.deliver(raw)
    summary = services.poll(channel=mail_channel)
    assert summary.failed == 0
    assert summary.taken + summary.quarantined == len(bad)
    assert Report.objects.count() == len(bad)
    assert mailbox.count() == 0
    by_subject = {str(_answers(r, org)["subject"] or ""): r for r in Report.objects.all()}
    assert by_subject["big"].quarantine == Quarantine.TOO_LARGE
    assert "larger than the limit" in str(_answers(by_subject["big"], org)["not_taken_in"])
    assert str(_answers(by_subject["charset"], org)["message"]) == "caf\ufffd au lait"
    assert str(_answers(by_subject["liar"], org)["message"]) == "caf\ufffd \ufffd\ufffd"
    assert "Stra\ufffde \ufffd" in by_subject
    assert by_subject["Stra\ufffde \ufffd"].identity_ct is not None
    assert "empty" not in str(_answers(by_subject[""], org))
    assert Attachment.objects.filter(report=by_subject["archive"]).exists()
    forwarded = str(_answers(by_subject["Fwd: evidence"], org)["message"])
    assert "Bring the envelope on Friday." in forwarded
    assert "parts beyond the first" in str(_answers(by_subject["Many parts"], org)["not_taken_in"])
    assert "The text before the boundary breaks" in str(_answers(by_subject["broken"], org)["message"])


def test_a_message_left_in_the_mailbox_with_headers_beyond_those_kept_is_linked_when_taken_whole(
    org: Setup, mail_channel: Channel, mailbox: Dovecot, settings: object
) -> None:
    """Only the first HEADERS_KEPT bytes of its headers are fetched, kept and read, its
    Message-ID beyond them: the whole mail, taken in later, still finds the held report."""
    settings.TIPLINE_MAIL_MAX_BYTES = 64 * 1024  # type: ignore[attr-defined]
    settings.TIPLINE_MAIL_FETCH_MAX_BYTES = 512 * 1024  # type: ignore[attr-defined]
    padding = "".join(f"X-Pad-{n}: {'p' * 60}\r\n" for n in range(parsing.HEADERS_KEPT // 70 + 100))
    head = f"From: Ana <ana@example.net>\r\nSubject: long headers\r\n{padding}Message-ID: <late@example.net>\r\n"
    mailbox.deliver((head + "Content-Type: text/plain\r\n\r\n" + "x" * 300_000 + "\r\n").encode())
    assert services.poll(channel=mail_channel).quarantined == 1
    settings.TIPLINE_MAIL_MAX_HEADER_CHARS = 4096  # type: ignore[attr-defined] - a setting changed between polls
    assert services.poll(channel=mail_channel).already_taken == 1, "reported once"
    held = Report.objects.get(quarantine=Quarantine.LEFT_IN_MAILBOX)
    settings.TIPLINE_MAIL_MAX_BYTES = settings.TIPLINE_MAIL_FETCH_MAX_BYTES = 1024 * 1024  # type: ignore[attr-defined]
    assert services.poll(channel=mail_channel).taken == 1
    whole = Report.objects.exclude(pk=held.pk).get(channel=mail_channel)
    assert ReportLink.objects.filter(source=whole, target=held, kind=ReportLink.Kind.WHOLE_MAIL).exists()


def test_a_message_too_large_to_fetch_stays_in_the_mailbox_and_is_reported_once(
    org: Setup, mail_channel: Channel, mailbox: Dovecot, settings: object
) -> None:
    settings.TIPLINE_MAIL_MAX_BYTES = 64 * 1024  # type: ignore[attr-defined]
    settings.TIPLINE_MAIL_FETCH_MAX_BYTES = 256 * 1024  # type: ignore[attr-defined]
    huge = _mail(subject="huge", files=[("film.bin", b"x" * (400 * 1024), "application/octet-stream")])
    mailbox.deliver(huge)
    mailbox.deliver(_mail(subject="small", message_id="<small@example.net>"))
    first = services.poll(channel=mail_channel)
    assert (first.taken, first.quarantined, first.failed) == (1, 1, 0)
    assert mailbox.count() == 1, "the large message is never downloaded, so never removed"
    held = Report.objects.get(quarantine=Quarantine.LEFT_IN_MAILBOX)
    answers = _answers(held, org)
    assert answers["subject"] == "huge"
    assert "left in the mailbox" in str(answers["not_taken_in"])
    identity, kept = _supervisor_view(held, org)
    assert identity == "Ana Teller <ana@example.net>"
    assert b"Subject: huge" in kept
    assert b"x" * 1000 not in kept, "only the headers were fetched"
    assert not quarantine.can_retry(held), "the console offers no retry"
    second = services.poll(channel=mail_channel)
    assert (second.taken, second.quarantined, second.already_taken) == (0, 0, 1)
    assert Report.objects.count() == 2, "reported once, however often it is polled"
    assert mailbox.count() == 1
    # The limit raised: the whole mail becomes a report of its own (the worker holds no key to
    # fill the held one), linked to the held report so that handlers see they are one mail.
    settings.TIPLINE_MAIL_MAX_BYTES = settings.TIPLINE_MAIL_FETCH_MAX_BYTES = 1024 * 1024  # type: ignore[attr-defined]
    third = services.poll(channel=mail_channel)
    assert (third.taken, third.quarantined) == (1, 0)
    assert mailbox.count() == 0
    whole = Report.objects.exclude(pk=held.pk).get(channel=mail_channel, quarantine="", attachments__isnull=False)
    link = ReportLink.objects.get(source=whole, target=held)
    assert link.kind == ReportLink.Kind.WHOLE_MAIL
    assert AuditEntry.objects.filter(action="report.link", report_ref=whole.reference).exists()
    assert services.poll(channel=mail_channel).taken == 0
    private = accounts.unlock_private_key(user=org.supervisor, password=PASSWORD)
    report_key = keyring.open_report_key(report=held, user=org.supervisor, private_key=private)
    identity_key = keyring.open_identity_key(report=held, user=org.supervisor, private_key=private)
    assert not services.retry_quarantined(
        report=held, by=org.supervisor, report_key=report_key, identity_key=identity_key
    ), "nothing more to read"


def test_the_same_mail_is_one_report_even_when_taken_in_twice(org: Setup, mail_channel: Channel) -> None:
    raw = _mail()
    first = services.take_in(channel=mail_channel, raw=raw)
    second = services.take_in(channel=mail_channel, raw=raw)
    assert first.result is services.Result.TAKEN
    assert second.result is services.Result.ALREADY_TAKEN
    assert Report.objects.count() == 1
    different = services.take_in(channel=mail_channel, raw=_mail(body="Another message, same Message-ID."))
    assert different.result is services.Result.TAKEN


def test_a_failed_removal_leaves_the_mail_and_makes_no_second_report(
    org: Setup, mail_channel: Channel, mailbox: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailbox.deliver(_mail())

    def refuse(self: object, uids: list[str]) -> None:
        raise services.MailboxUnavailable("connection lost")

    with monkeypatch.context() as patch:
        patch.setattr(services.Mailbox, "remove", refuse)
        with pytest.raises(services.MailboxUnavailable):
            services.poll(channel=mail_channel)
    assert Report.objects.count() == 1
    assert mailbox.count() == 1, "the message stays until its removal succeeds"
    again = services.poll(channel=mail_channel)
    assert (again.already_taken, again.taken) == (1, 0)
    assert Report.objects.count() == 1
    assert mailbox.count() == 0
    assert len(mail.outbox) == 1, "the sender is answered once"


def test_stored_mail_is_removed_in_batches_and_a_failed_batch_is_finished_by_the_next_poll(
    org: Setup, mail_channel: Channel, mailbox: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services, "REMOVE_TOGETHER", 5)
    for number in range(12):
        mailbox.deliver(_mail(message_id=f"<batch{number}@example.net>", body=f"Report {number}"))
    real_remove, calls = services.Mailbox.remove, []

    def second_batch_fails(self: services.Mailbox, uids: list[str]) -> None:
        calls.append(list(uids))
        if len(calls) == 2:
            raise services.MailboxUnavailable("connection lost")
        real_remove(self, uids)

    with monkeypatch.context() as patch:
        patch.setattr(services.Mailbox, "remove", second_batch_fails)
        with pytest.raises(services.MailboxUnavailable):
            services.poll(channel=mail_channel)
    assert [len(uids) for uids in calls] == [5, 5], "removed five at a time, each after its reports were stored"
    assert mailbox.count() == 7, "only the first batch was removed"
    assert Report.objects.count() >= 10
    again = services.poll(channel=mail_channel)
    assert again.failed == 0
    assert again.already_taken + again.taken == 7
    assert Report.objects.count() == 12
    assert mailbox.count() == 0
    assert len(mail.outbox) == 12, "every sender answered once"


def test_taken_in_mail_can_be_moved_to_a_folder(org: Setup, mail_channel: Channel, mailbox: Dovecot) -> None:
    Channel.objects.filter(pk=mail_channel.pk).update(imap_done_folder="Done")
    mail_channel.refresh_from_db()
    for number in range(3):
        mailbox.deliver(_mail(message_id=f"<done{number}@example.net>", body=f"Report {number}"))
    services.poll(channel=mail_channel)
    assert mailbox.count() == 0
    assert mailbox.count("Done") == 3


def test_a_held_mail_is_read_again_on_retry(
    org: Setup, mail_channel: Channel, mailbox: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable(raw: bytes) -> None:
        raise ValueError("a parser bug")

    with monkeypatch.context() as patch:
        patch.setattr(services.parsing, "parse", unreadable)
        raw = _mail(files=[("photo.jpg", jpeg_with_exif("RetryCamMarker"), "image/jpeg")])
        assert services.take_in(channel=mail_channel, raw=raw).result is services.Result.QUARANTINED
    report = Report.objects.get()
    assert report.quarantine == Quarantine.UNREADABLE
    private = accounts.unlock_private_key(user=org.supervisor, password=PASSWORD)
    report_key = keyring.open_report_key(report=report, user=org.supervisor, private_key=private)
    identity_key = keyring.open_identity_key(report=report, user=org.supervisor, private_key=private)
    assert services.retry_quarantined(
        report=report, by=org.supervisor, report_key=report_key, identity_key=identity_key
    )
    stale = Report.objects.get(pk=report.pk)
    report.refresh_from_db()
    assert report.quarantine == ""
    assert _answers(report, org)["message"] == "The manager takes cash for permits."
    assert Attachment.objects.filter(report=report).count() == 1
    stale.quarantine = Quarantine.UNREADABLE  # a second retry sent from the same page
    with pytest.raises(NoLongerHeld):
        services.retry_quarantined(report=stale, by=org.supervisor, report_key=report_key, identity_key=identity_key)
    assert Attachment.objects.filter(report=report).count() == 1, "the file is not attached twice"


@pytest.mark.parametrize("allowed", [True, False])
def test_the_address_for_answers_by_email_is_kept_only_where_allowed(
    org: Setup, mail_channel: Channel, allowed: bool
) -> None:
    Channel.objects.filter(pk=mail_channel.pk).update(mail_answers=allowed)
    mail_channel.refresh_from_db()
    report = services.take_in(channel=mail_channel, raw=_mail()).report
    assert report is not None
    key = keyring.open_report_key(
        report=report, user=org.handler, private_key=accounts.unlock_private_key(user=org.handler, password=PASSWORD)
    )
    assert register.read_reply_address(report=report, report_key=key) == ("ana@example.net" if allowed else "")


def test_a_channel_with_a_broken_server_address_does_not_stop_the_others(org: Setup, mail_channel: Channel) -> None:
    Channel.objects.create(slug="broken", kind=ChannelKind.MAILBOX, name="Broken", imap_url="imap://10.0.0.1:143")
    assert services.poll_all().failed == 0


@pytest.mark.parametrize(
    ("failure", "said"),
    [
        (imaplib.IMAP4.abort("socket error: EOF"), "stopped answering"),
        (ConnectionResetError(), "stopped answering"),
        # Anything else (a folder name imaplib could not send, say) stops that channel only.
        (UnicodeEncodeError("ascii", "EOF-ä", 4, 5, "ordinal not in range"), "could not be read (builtins.Unicode"),
    ],
)
def test_a_mailbox_that_stops_answering_does_not_stop_the_others(  # noqa: PLR0917 - fixtures
    org: Setup,
    mail_channel: Channel,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    failure: Exception,
    said: str,
) -> None:
    Channel.objects.create(
        slug="second", kind=ChannelKind.MAILBOX, name="Second", imap_url="imaps://mail.example.org", imap_user="x"
    )
    polled: list[str] = []

    def poll(*, channel: Channel) -> services.PollSummary:
        polled.append(channel.slug)
        if len(polled) == 1:
            raise failure
        return services.PollSummary(taken=1)

    monkeypatch.setattr(services, "poll", poll)
    assert services.poll_all().taken == 1
    assert len(polled) == 2
    assert said in caplog.text
    assert "EOF" not in caplog.text, "the class only, never the server's words"
    stopped = Channel.objects.exclude(mail_problem="").get()
    assert set(stopped.mail_problem_said) == {"en", "zh-hans"}
    assert stopped.mail_problem_said["en"] == stopped.mail_problem
    chinese = stopped.mail_problem_said["zh-hans"]
    assert type(failure).__name__ in chinese
    assert chinese != stopped.mail_problem
    assert "EOF" not in chinese


def test_crlf_line_ends_are_plain_line_ends(org: Setup, mail_channel: Channel) -> None:
    """Mail travels with CRLF: a line end must not become a space (and push a text that fits
    over the answer limit)."""
    raw = _mail(body="first line\nsecond line").replace(b"\n", b"\r\n")
    report = services.take_in(channel=mail_channel, raw=raw).report
    assert report is not None
    assert _answers(report, org)["message"] == "first line\nsecond line"


def _handler_key(report: Report, org: Setup) -> bytes:
    return keyring.open_report_key(
        report=report, user=org.handler, private_key=accounts.unlock_private_key(user=org.handler, password=PASSWORD)
    )


def test_a_file_that_cannot_be_cleaned_goes_to_the_handlers_marked(org: Setup, mail_channel: Channel) -> None:
    """Nobody could decide about it as a web reporter does: it is not held (and swept unseen)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("minutes.txt", "The minutes of the meeting.")
    raw = _mail(files=[("minutes.zip", buffer.getvalue(), "application/zip")])
    report = services.take_in(channel=mail_channel, raw=raw).report
    assert report is not None
    attachment = Attachment.objects.get(report=report)
    assert attachment.state == Attachment.State.SENT
    info = register.describe_attachment(attachment=attachment, report_key=_handler_key(report, org))
    assert (info.name, info.cleaned) == ("minutes.zip", False)
    register.purge_stale_held(now=timezone.now() + timedelta(days=30))
    assert Attachment.objects.filter(pk=attachment.pk).exists()


def test_a_multipart_without_a_boundary_is_read_as_text(org: Setup, mail_channel: Channel) -> None:
    raw = (
        b"From: nob@example.net\nSubject: no boundary\nMIME-Version: 1.0\nContent-Type: multipart/mixed\n\n"
        b"The depot manager asked for cash again.\n"
    )
    report = services.take_in(channel=mail_channel, raw=raw).report
    assert report is not None
    assert "The depot manager asked for cash again." in str(_answers(report, org)["message"])
    assert not Attachment.objects.filter(report=report).exists()


def test_a_named_inline_text_is_read_as_text(org: Setup, mail_channel: Channel) -> None:
    raw = (
        b"From: named@example.net\nSubject: named\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n'
        b'Content-Type: text/plain; charset=utf-8; name="statement.txt"\n\nThe cash moved on Friday.\n--b--\n'
    )
    report = services.take_in(channel=mail_channel, raw=raw).report
    assert report is not None
    message = str(_answers(report, org)["message"])
    assert "statement.txt" in message
    assert "The cash moved on Friday." in message
    assert not Attachment.objects.filter(report=report).exists()


def test_a_server_that_will_not_tell_sizes_never_sends_more_than_the_limit(
    org: Setup, mail_channel: Channel, mailbox: Dovecot, settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tipline.mailbox import imap

    settings.TIPLINE_MAIL_MAX_BYTES = 64 * 1024  # type: ignore[attr-defined]
    settings.TIPLINE_MAIL_FETCH_MAX_BYTES = 256 * 1024  # type: ignore[attr-defined]
    monkeypatch.setattr(imap.Mailbox, "sizes", lambda self: {})
    fetched: list[int] = []
    original = imap.Mailbox.fetch

    def counted(self: imap.Mailbox, uid: str, *, at_most: int | None = None) -> bytes | None:
        raw = original(self, uid, at_most=at_most)
        fetched.append(len(raw or b""))
        return raw

    monkeypatch.setattr(imap.Mailbox, "fetch", counted)
    mailbox.deliver(_mail(subject="huge", files=[("film.bin", b"x" * (400 * 1024), "application/octet-stream")]))
    mailbox.deliver(_mail(subject="small", message_id="<small@example.net>"))
    summary = services.poll(channel=mail_channel)
    assert (summary.taken, summary.quarantined, summary.failed) == (1, 1, 0)
    assert max(fetched) == 256 * 1024 + 1, "one byte beyond the limit, never the whole message"
    assert mailbox.count() == 1, "the large message stays in the mailbox"
    held = Report.objects.get(quarantine=Quarantine.LEFT_IN_MAILBOX)
    assert _answers(held, org)["subject"] == "huge"
    small = Report.objects.get(quarantine="")
    assert _answers(small, org)["subject"] == "small"
