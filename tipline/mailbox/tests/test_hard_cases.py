"""Mail that used to stop the intake or lose mail: a header too long for the standard
library's parser, a message that fails to be stored, folders and passwords outside ASCII,
mail another program marked deleted, forwarded messages full of files."""

from __future__ import annotations

import imaplib
import io
import logging
import time
import zipfile
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError

from tipline.accounts import services as accounts
from tipline.conftest import PASSWORD, Setup
from tipline.mailbox import imap, parsing, services
from tipline.mailbox.dovecot import Dovecot
from tipline.mailbox.tests.conftest import PASSWORD_VARIABLE
from tipline.register import filetypes, keyring
from tipline.register import services as register
from tipline.register.models import Channel, ChannelKind, MailReply, Quarantine, Report


def _mail(subject: str = "Bribes at the depot", *, sender: str = "Ana Teller <ana@example.net>") -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "tips@example.org"
    message["Subject"] = subject
    message.set_content("The manager takes cash for permits.")
    return message


def _answers(report: Report, org: Setup) -> dict[str, object]:
    key = keyring.open_report_key(
        report=report, user=org.handler, private_key=accounts.unlock_private_key(user=org.handler, password=PASSWORD)
    )
    return {question["key"]: value for question, value in register.read_answers(report=report, report_key=key)}


def _identity(report: Report, org: Setup) -> str:
    private = accounts.unlock_private_key(user=org.supervisor, password=PASSWORD)
    identity_key = keyring.open_identity_key(report=report, user=org.supervisor, private_key=private)
    return register.read_identity(report=report, identity_key=identity_key)


# ---------------------------------------------------------------- headers too long to parse


def test_a_subject_too_long_to_parse_is_left_out_and_the_rest_taken_in(
    org: Setup, mail_channel: Channel, mailbox: Dovecot
) -> None:
    """The standard library's header parser needs memory growing with the square of a
    header's encoded words: 64,000 of them (900 KB) took 24 GB. Such a header is not parsed."""
    raw = (
        b"From: Ana Teller <ana@example.net>\r\nTo: tips@example.org\r\nSubject: "
        + b"\r\n ".join(b"=?utf-8?q?a?=" for _ in range(6000))
        + b"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe manager takes cash for permits.\r\n"
    )
    mailbox.deliver(raw)
    summary = services.poll(channel=mail_channel)
    assert (summary.taken, summary.quarantined, summary.failed) == (1, 0, 0)
    report = Report.objects.get()
    answers = _answers(report, org)
    assert answers["message"] == "The manager takes cash for permits."
    assert "subject" not in answers or not answers["subject"]
    assert "The “subject” header, longer than 16384 characters." in str(answers["not_taken_in"])
    assert _identity(report, org) == "Ana Teller <ana@example.net>"
    assert mailbox.count() == 0


def test_a_structure_header_too_long_holds_the_message_with_its_sender(
    org: Setup, mail_channel: Channel, mailbox: Dovecot, settings: object
) -> None:
    settings.TIPLINE_MAIL_MAX_HEADER_CHARS = 2048  # type: ignore[attr-defined]
    message = _mail("Evidence")
    message.replace_header("Content-Type", "text/plain; charset=utf-8; " + "; ".join(f"p{n}=v" for n in range(600)))
    mailbox.deliver(message.as_bytes())
    summary = services.poll(channel=mail_channel)
    assert (summary.quarantined, summary.failed) == (1, 0)
    report = Report.objects.get()
    assert report.quarantine == Quarantine.HEADER_TOO_LONG
    answers = _answers(report, org)
    assert answers["subject"] == "Evidence", "the envelope is still read"
    assert "too long to be read safely" in str(answers["not_taken_in"])
    assert _identity(report, org) == "Ana Teller <ana@example.net>"
    assert mailbox.count() == 0


def test_many_long_structure_headers_together_hold_the_message(settings: object) -> None:
    """Each under the limit, but together more than the message's allowance (eight times it)."""
    settings.TIPLINE_MAIL_MAX_HEADER_CHARS = 1024  # type: ignore[attr-defined]
    message = _mail("Many parts")
    for number in range(12):
        params = "; ".join(f"p{n}=v" for n in range(150))  # about 900 characters
        message.add_attachment(b"x", maintype="application", subtype="octet-stream", filename=f"{number}.bin")
        message.get_payload()[-1].replace_header("Content-Type", f"application/octet-stream; {params}")
    with pytest.raises(parsing.HeaderTooLong):
        parsing.parse(message.as_bytes())
    settings.TIPLINE_MAIL_MAX_HEADER_CHARS = 16 * 1024  # type: ignore[attr-defined]
    assert len(parsing.parse(message.as_bytes()).files) == 12


def test_a_long_structure_header_of_one_attachment_holds_the_message(settings: object) -> None:
    settings.TIPLINE_MAIL_MAX_HEADER_CHARS = 1024  # type: ignore[attr-defined]
    message = _mail("Evidence")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="a.pdf")
    message.get_payload()[-1].replace_header("Content-Transfer-Encoding", "base64" + " " * 2000)
    with pytest.raises(parsing.HeaderTooLong):
        parsing.parse(message.as_bytes())


def test_a_nested_message_s_long_header_is_left_out_too(settings: object) -> None:
    settings.TIPLINE_MAIL_MAX_HEADER_CHARS = 1024  # type: ignore[attr-defined]
    inner = _mail("x" * 5000)
    outer = _mail("Fwd: evidence")
    outer.add_attachment(inner)
    parsed = parsing.parse(outer.as_bytes())
    assert parsed.subject == "Fwd: evidence"
    assert "--- Forwarded message:  ---" in parsed.body
    assert any("“subject” header" in note for note in parsed.left_out)


# ---------------------------------------------------------------- a message that cannot be stored


def _broken_odt() -> bytes:
    """An OpenDocument file whose first member's compressed data is damaged."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
    data = bytearray(buffer.getvalue())
    start = 30 + len("mimetype")  # after the member's local header
    data[start : start + 6] = b"\xff" * 6
    return bytes(data)


def test_a_damaged_office_file_is_a_file_that_cannot_be_cleaned(tmp_path: Path) -> None:
    path = tmp_path / "minutes.odt"
    path.write_bytes(_broken_odt())
    assert filetypes.detect(path, "minutes.odt") is None


def test_a_mail_with_a_damaged_office_file_is_taken_in(org: Setup, mail_channel: Channel, mailbox: Dovecot) -> None:
    message = _mail("Minutes")
    message.add_attachment(_broken_odt(), maintype="application", subtype="octet-stream", filename="minutes.odt")
    mailbox.deliver(message.as_bytes())
    summary = services.poll(channel=mail_channel)
    assert (summary.taken, summary.failed) == (1, 0)
    assert Report.objects.get().attachments.count() == 1
    assert mailbox.count() == 0


def test_a_mail_that_fails_to_be_stored_is_held_once_not_tried_at_every_poll(
    org: Setup,
    mail_channel: Channel,
    mailbox: Dovecot,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    original = register.create_report

    def failing_with_files(**kwargs: Any) -> register.Submission:
        if kwargs["files"]:
            msg = "SecretWordsOfTheMail"
            raise RuntimeError(msg)
        return original(**kwargs)

    monkeypatch.setattr(services.register, "create_report", failing_with_files)
    message = _mail("Minutes")
    message.add_attachment(b"%PDF-1.4 not really", maintype="application", subtype="pdf", filename="minutes.pdf")
    mailbox.deliver(message.as_bytes())
    with caplog.at_level(logging.WARNING):
        summary = services.poll(channel=mail_channel)
    assert (summary.quarantined, summary.failed) == (1, 0)
    report = Report.objects.get()
    assert report.quarantine == Quarantine.NOT_STORED
    answers = _answers(report, org)
    assert answers["subject"] == "Minutes"
    assert "could not be stored with its text and files" in str(answers["not_taken_in"])
    assert report.attachments.count() == 0
    assert mailbox.count() == 0
    assert "could not be stored (builtins.RuntimeError" in caplog.text
    assert "SecretWordsOfTheMail" not in caplog.text, "the class and place only"
    services.poll(channel=mail_channel)
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    "failure",
    [OSError(28, "No space left on device"), OperationalError("database is locked"), ValueError("in the mail")],
    ids=["disk", "database", "even alone"],
)
def test_a_mail_that_cannot_be_stored_for_now_stays_in_the_mailbox_and_says_so(
    org: Setup, mail_channel: Channel, mailbox: Dovecot, monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    """The database or the disk, not the message (or not even its original alone): nothing is
    held, the mail waits for the next poll, and supervisors are told."""

    def failing(**kwargs: Any) -> register.Submission:
        raise failure

    monkeypatch.setattr(services.register, "create_report", failing)
    mailbox.deliver(_mail().as_bytes())
    summary = services.poll_all()
    assert (summary.failed, summary.quarantined) == (1, 0)
    assert not Report.objects.exists()
    assert mailbox.count() == 1, "never lost: the next poll tries again"
    mail_channel.refresh_from_db()
    assert mail_channel.mail_problem.startswith("1 message could not be taken in at the last read and stays")
    assert mail_channel.mail_read_at is None
    monkeypatch.undo()
    monkeypatch.setenv(PASSWORD_VARIABLE, mailbox.password)
    assert services.poll_all().taken == 1
    mail_channel.refresh_from_db()
    assert mail_channel.mail_problem == ""


# ---------------------------------------------------------------- folders and passwords


def test_folder_names_are_written_in_modified_utf_7() -> None:
    assert imap.folder_name("INBOX") == "INBOX"
    assert imap.folder_name("Eingänge") == "Eing&AOQ-nge"
    assert imap.folder_name("~peter/mail/台北/日本語") == "~peter/mail/&U,BTFw-/&ZeVnLIqe-"  # RFC 3501, 5.1.3
    assert imap.folder_name("Q&A") == "Q&-A"
    assert imap.folder_name("Done 2026") == "Done 2026"


def _session(mailbox: Dovecot) -> imaplib.IMAP4:
    session = imaplib.IMAP4("127.0.0.1", int(mailbox.url.rsplit(":", 1)[1].strip("/")))
    session.login(mailbox.user, mailbox.password)
    return session


def test_a_folder_and_a_done_folder_outside_ascii_are_read_and_filled(
    org: Setup, mail_channel: Channel, mailbox: Dovecot
) -> None:
    session = _session(mailbox)
    try:
        for folder in ("Eingänge", "Erledigt-ä"):
            session.create(f'"{imap.folder_name(folder)}"')
        session.append(
            f'"{imap.folder_name("Eingänge")}"', "", imaplib.Time2Internaldate(time.time()), _mail().as_bytes()
        )
    finally:
        session.logout()
    mail_channel.imap_folder, mail_channel.imap_done_folder = "Eingänge", "Erledigt-ä"
    mail_channel.full_clean()
    mail_channel.save()
    assert services.poll_all().taken == 1
    session = _session(mailbox)
    try:
        for folder, expected in (("Eingänge", b"0"), ("Erledigt-ä", b"1")):
            status, data = session.status(f'"{imap.folder_name(folder)}"', "(MESSAGES)")
            assert status == "OK"
            assert f"(MESSAGES {expected.decode()})".encode() in data[0]
    finally:
        for folder in ("Eingänge", "Erledigt-ä"):
            session.delete(f'"{imap.folder_name(folder)}"')
        session.logout()


class _Connection:
    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def login(self, user: str, password: str) -> None:
        self.calls.append(("login", (user, password)))

    def authenticate(self, mechanism: str, answer: Any) -> None:
        self.calls.append((mechanism, answer(b"")))


def test_a_password_outside_ascii_is_sent_as_utf_8_in_authenticate_plain() -> None:
    plain, other = _Connection(), _Connection()
    imap._log_in(plain, "tips", "s3cret")  # type: ignore[arg-type]
    imap._log_in(other, "tips", "pässwort")  # type: ignore[arg-type]
    assert plain.calls == [("login", ("tips", "s3cret"))]
    assert other.calls == [("PLAIN", b"\0tips\0p\xc3\xa4sswort")]


def test_a_password_file_that_is_not_utf_8_is_said_plainly(tmp_path: Path) -> None:
    path = tmp_path / "password"
    path.write_bytes(b"p\xe4ss\n")
    channel = Channel(slug="x", kind=ChannelKind.MAILBOX, imap_password_file=str(path))
    with pytest.raises(imap.MailboxUnavailable, match="is not UTF-8 text"):
        imap.password_of(channel)
    path.write_bytes("pässwort\n".encode())
    assert imap.password_of(channel) == "pässwort"


# ---------------------------------------------------------------- mail another program marked deleted


def _mark_deleted(mailbox: Dovecot, subject: str) -> None:
    session = _session(mailbox)
    try:
        session.select("INBOX")
        status, data = session.search(None, "SUBJECT", f'"{subject}"')
        assert status == "OK"
        assert data[0]
        session.store(data[0].decode().replace(" ", ","), "+FLAGS", "(\\Deleted)")
    finally:
        session.logout()  # no CLOSE: nothing expunged


@pytest.mark.parametrize(("uidplus", "done"), [(True, ""), (False, ""), (False, "Done")])
def test_mail_another_program_marked_deleted_is_never_expunged_with_ours(  # noqa: PLR0917 - fixtures
    org: Setup,
    mail_channel: Channel,
    mailbox: Dovecot,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    uidplus: bool,
    done: str,
) -> None:
    mail_channel.mail_reply = MailReply.NOTHING
    mail_channel.imap_done_folder = done
    mail_channel.save()
    mailbox.deliver(_mail("Ours").as_bytes())
    mailbox.deliver(_mail("Theirs").as_bytes())
    _mark_deleted(mailbox, "Theirs")
    original_take_in, original_enter = services.take_in, imap.Mailbox.__enter__

    def take_in(**kwargs: Any) -> services.TakenIn:
        if b"Subject: Theirs" in kwargs["raw"]:
            msg = "this one fails"
            raise RuntimeError(msg)
        return original_take_in(**kwargs)

    def enter(self: imap.Mailbox) -> imap.Mailbox:
        opened = original_enter(self)
        if not uidplus:
            opened.capabilities -= {"UIDPLUS", "MOVE"}  # COPY, STORE and EXPUNGE then
        return opened

    monkeypatch.setattr(services, "take_in", take_in)
    monkeypatch.setattr(imap.Mailbox, "__enter__", enter)
    summary = services.poll(channel=mail_channel)
    assert (summary.taken, summary.failed) == (1, 1)
    if uidplus:
        assert mailbox.count() == 1, "ours removed alone; theirs is still there"
    else:
        assert mailbox.count() == 2, "a plain EXPUNGE would have taken theirs: ours stays marked"
        assert "other messages in the mailbox are marked deleted" in caplog.text
        services.poll(channel=mail_channel)  # ours again, still marked: not copied a second time
        assert mailbox.count() == 2
        if done:
            assert mailbox.count(done) == 1
        session = _session(mailbox)
        try:  # the other program changes its mind: the next poll finishes ours alone
            session.select("INBOX")
            _status, data = session.search(None, "SUBJECT", '"Theirs"')
            session.store(data[0].decode(), "-FLAGS", "(\\Deleted)")
        finally:
            session.logout()
        services.poll(channel=mail_channel)
        assert mailbox.count() == 1
        if done:
            assert mailbox.count(done) == 1
    assert Report.objects.count() == 1


# ---------------------------------------------------------------- forwarded files and invisible characters


def test_forwarded_messages_do_not_get_around_the_limit_of_files(settings: object) -> None:
    settings.TIPLINE_MAIL_MAX_FILES = 20  # type: ignore[attr-defined]
    outer = _mail("Fwd: five messages")
    for number in range(5):
        inner = _mail(f"Part {number}")
        for index in range(20):
            inner.add_attachment(b"x", maintype="application", subtype="octet-stream", filename=f"{number}-{index}.bin")
        outer.add_attachment(inner)
    parsed = parsing.parse(outer.as_bytes())
    assert len(parsed.files) == 20
    assert sum("beyond the limit of files" in note for note in parsed.left_out) == 80


def test_joiners_and_marks_of_direction_stay_in_the_text() -> None:
    persian = "می\u200cخواهم"  # noqa: RUF001 - Persian: it needs the joiner
    family = "👨\u200d👩\u200d👧"
    message = _mail(f"{persian} {family}")
    message.set_content(f"{persian}\n{family}\nsoft\u00adhyphen, \u200fright to left\u200f")
    parsed = parsing.parse(message.as_bytes())
    assert parsed.subject == f"{persian} {family}"
    assert persian in parsed.body
    assert family in parsed.body
    assert "soft\u00adhyphen" in parsed.body
    assert "\u202e" not in parsing._readable("file\u202egpj.exe"), "an override of the direction is not kept"


# ---------------------------------------------------------------- what stopped a mailbox, shown


def test_what_stops_a_mailbox_is_shown_to_supervisors_until_it_is_read_again(
    org: Setup, mail_channel: Channel, mailbox: Dovecot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.management import call_command
    from django.test import Client

    from tipline.accounts.testing import login_staff

    monkeypatch.delenv(PASSWORD_VARIABLE)
    mailbox.deliver(_mail().as_bytes())
    services.poll_all()
    services.poll_all()
    mail_channel.refresh_from_db()
    assert mail_channel.mail_problem == (
        f"the mailbox cannot be read: the environment variable {PASSWORD_VARIABLE} is not set for the worker"
    )
    first_seen = mail_channel.mail_problem_since
    assert first_seen is not None
    assert mail_channel.mail_read_at is None
    supervisor, handler = Client(), Client()
    login_staff(supervisor, "supervisor", PASSWORD)
    login_staff(handler, "handler", PASSWORD)
    page = supervisor.get("/console/").content.decode()
    assert "Mail is not being taken in" in page
    assert f"{PASSWORD_VARIABLE} is not set for the worker" in page
    assert "Mail is not being taken in" not in handler.get("/console/").content.decode()
    # In the reader's language; the variable's name as it is.
    supervisor.cookies["django_language"] = "zh-hans"
    chinese = supervisor.get("/console/").content.decode()
    assert f"无法读取邮箱\uff1a工作进程没有设置环境变量 {PASSWORD_VARIABLE}" in chinese  # \uff1a: a full-width colon
    assert '<span lang="en">the mailbox' not in chinese
    admin = Client()
    login_staff(admin, "admin", PASSWORD)
    admin.cookies["django_language"] = "zh-hans"
    admin_page = admin.get(f"/admin/register/channel/{mail_channel.pk}/change/").content.decode()
    assert f"工作进程没有设置环境变量 {PASSWORD_VARIABLE}" in admin_page
    assert "接收人" in admin_page, "the page's own labels are translated too"
    assert "Recipients" not in admin_page
    # A problem noted before it was written in each language is shown in English, marked.
    Channel.objects.filter(pk=mail_channel.pk).update(mail_problem_said={})
    assert '<span lang="en">the mailbox cannot be read: the environment variable' in (
        supervisor.get("/console/").content.decode()
    )
    supervisor.cookies["django_language"] = "en"
    shown = io.StringIO()
    call_command("channel", "show", mail_channel.slug, stdout=shown)
    assert f"mail_problem: the mailbox cannot be read: the environment variable {PASSWORD_VARIABLE}" in shown.getvalue()
    monkeypatch.setenv(PASSWORD_VARIABLE, mailbox.password)
    assert services.poll_all().taken == 1
    mail_channel.refresh_from_db()
    assert (mail_channel.mail_problem, mail_channel.mail_problem_said, mail_channel.mail_problem_since) == (
        "",
        {},
        None,
    )
    assert mail_channel.mail_read_at is not None
    assert "Mail is not being taken in" not in supervisor.get("/console/").content.decode()


def test_a_mailbox_no_longer_read_stops_showing_what_stopped_it(
    org: Setup, mail_channel: Channel, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.test import Client

    from tipline.accounts.testing import login_staff

    monkeypatch.delenv(PASSWORD_VARIABLE)
    services.poll_all()
    mail_channel.refresh_from_db()
    assert mail_channel.mail_problem
    supervisor = Client()
    login_staff(supervisor, "supervisor", PASSWORD)
    assert "Mail is not being taken in" in supervisor.get("/console/").content.decode()
    # Named as the queue names the channel, in the reader's language.
    Channel.objects.filter(pk=mail_channel.pk).update(translations={"zh-hans": {"name": "电子邮件举报"}})
    supervisor.cookies["django_language"] = "zh-hans"
    assert "“电子邮件举报”" in supervisor.get("/console/").content.decode()
    supervisor.cookies["django_language"] = "en"
    Channel.objects.filter(pk=mail_channel.pk).update(imap_url="")  # the server taken away
    assert "Mail is not being taken in" not in supervisor.get("/console/").content.decode()
    services.poll_all()
    mail_channel.refresh_from_db()
    assert (mail_channel.mail_problem, mail_channel.mail_problem_since) == ("", None)


def test_why_a_mailbox_cannot_be_opened_is_said_in_english_for_the_log_and_in_the_readers_language() -> None:
    from django.utils import translation

    error = imap.MailboxUnavailable("the folder %(folder)s cannot be opened", folder="Eingänge")
    assert str(error) == "the folder Eingänge cannot be opened"
    with translation.override("zh-hans"):
        assert error.said() == "无法打开文件夹 Eingänge"
    # A reason without a parameter is never formatted: a "%" in it stays as it is.
    assert imap.MailboxUnavailable("100% full").said() == "100% full"
