"""Taking in a mailbox channel's mail: each new message becomes a report of that channel.

Order of events for one message, so that a crash anywhere loses nothing and makes
nothing twice:

1. the message is fetched (not marked seen) and its keyed digest computed (Message-ID
   and content, under the pepper, like the form-page token digest);
2. a report with that digest already exists: it was stored before a crash, so only the
   removal is left to do;
3. otherwise the report is stored in one transaction (answers, cleaned and encrypted
   files, the sender sealed as the identity, the original sealed under the identity
   key) and the database refuses a second report with the same digest;
4. only after the commit is the reply sent and the message removed from the mailbox.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import imaplib
import logging
import os
import queue
import re
import smtplib
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from tipline.accounts.models import StaffUser
from tipline.audit import services as audit
from tipline.crypto.receipt import format_receipt
from tipline.jobs import services as jobs
from tipline.local_text import default_language, other_languages
from tipline.mailbox import parsing
from tipline.mailbox.imap import Mailbox, MailboxUnavailable
from tipline.register import outgoing_mail
from tipline.register import services as register
from tipline.register.exceptions import NoLongerHeld, SourceAlreadyTaken
from tipline.register.models import (
    Attachment,
    Channel,
    ChannelKind,
    FieldType,
    MailReply,
    MailReplyState,
    Quarantine,
    Question,
    QuestionnaireVersion,
    Report,
    ReportLink,
)
from tipline.register.uploads import UPLOAD_PREFIX

log = logging.getLogger(__name__)

# The questions a mail's report is shown with (its questionnaire, kept by the channel),
# written in every site language the catalogue has them in.
# The last is answered only when something was left out, and is not listed otherwise.
MAIL_QUESTIONS = (
    ("subject", FieldType.SHORT_TEXT, gettext_noop("Subject")),
    ("message", FieldType.LONG_TEXT, gettext_noop("Message")),
    ("not_taken_in", FieldType.LONG_TEXT, gettext_noop("Not taken in (kept only in the original message)")),
)
_ANSWERED_ONLY_WHEN_SOMETHING_TO_SAY = {"not_taken_in"}


def _mail_labels(label: str) -> tuple[str, dict[str, str]]:
    """A mail question's label in the default language, and in each other site language
    whose catalogue translates it (the others fall back, marked, to the default)."""
    with translation.override(default_language()):
        default = _(label)
    others: dict[str, str] = {}
    for language, _name in other_languages():
        with translation.override(language):
            text = _(label)
        if text not in {label, default}:
            others[language] = text
    return default, others


def _mail_questions_current(version: QuestionnaireVersion | None) -> bool:
    """Whether the version has the mail questions, in every language it can have them in."""
    if version is None:
        return False
    published = {q["key"]: q for q in version.fields}
    for key, _type, label in MAIL_QUESTIONS:
        if key not in published:
            return False
        if published[key].get("hide_unanswered", False) != (key in _ANSWERED_ONLY_WHEN_SOMETHING_TO_SAY):
            return False
        _default, others = _mail_labels(label)
        have = published[key].get("translations") or {}
        if any("label" not in have.get(language, {}) for language in others):
            return False
    return True


def _write_mail_questions(channel: Channel) -> None:
    for order, (key, field_type, label) in enumerate(MAIL_QUESTIONS):
        default, others = _mail_labels(label)
        question = Question.objects.filter(channel=channel, key=key).first()
        if question is None:
            question = Question(channel=channel, key=key, order=order, field_type=field_type, label=default)
        question.hide_unanswered = key in _ANSWERED_ONLY_WHEN_SOMETHING_TO_SAY
        # A label an admin translated stays; a missing one is filled in from the catalogue.
        translations = dict(question.translations or {})
        for language, text in others.items():
            if not translations.get(language, {}).get("label"):
                translations[language] = {**translations.get(language, {}), "label": text}
        question.translations = translations
        question.save()


class Result(enum.Enum):
    TAKEN = "taken"
    QUARANTINED = "quarantined"
    ALREADY_TAKEN = "already taken"


@dataclass(frozen=True)
class TakenIn:
    result: Result
    report: Report | None = None


@dataclass
class PollSummary:
    taken: int = 0
    quarantined: int = 0
    already_taken: int = 0
    failed: int = 0

    def count(self, result: Result) -> None:
        if result is Result.TAKEN:
            self.taken += 1
        elif result is Result.QUARANTINED:
            self.quarantined += 1
        else:
            self.already_taken += 1


def mail_questionnaire(*, channel: Channel) -> QuestionnaireVersion:
    """The channel's questionnaire for mail (subject, message, what was left out),
    published the first time it is needed."""
    version = channel.current_questionnaire()
    if version is not None and _mail_questions_current(version):
        return version
    with transaction.atomic():
        # Threads taking in the first mails of a channel publish it once, one after the other.
        channel = Channel.objects.select_for_update().get(pk=channel.pk)
        version = channel.current_questionnaire()
        if version is not None and _mail_questions_current(version):
            return version
        _write_mail_questions(channel)
        return register.publish_questionnaire(channel=channel)


def source_digest(*, channel: Channel, raw: bytes, message_id: str) -> str:
    """The keyed digest that makes taking in one message idempotent (pepper-keyed, so a
    copy of the database cannot confirm which mail a report came from)."""
    content = hashlib.sha256(raw).digest()
    data = b"mail\0%d\0%s\0%s" % (channel.pk, message_id.encode("utf-8", "replace"), content)
    return hmac.new(settings.TIPLINE_PEPPER, data, hashlib.blake2b).hexdigest()[:64]


class Replies:
    """A poll's replies over one SMTP session: opened at the first reply, closed when the
    poll ends, so that a batch of mail does not open a connection (and greet the server)
    once a reply. Threads send one after the other on it.

    A session left idle for :attr:`check_after_seconds` is asked whether it is still there
    (NOOP) before the next reply, and opened again if the server closed it meanwhile (an
    idle time-out, a 421): a reply is never sent again once sending it began, since a
    server that timed out after the mail's data may have taken it, receipt and all. A
    session that broke during a reply is closed, and the next reply opens a new one."""

    # Servers close an idle session after minutes (RFC 5321: at least five); a burst of
    # replies reuses the session without the extra round trip.
    check_after_seconds = 5.0

    def __init__(self) -> None:
        self._backend = get_connection(fail_silently=False)
        self._lock = threading.Lock()
        self._used_at = 0.0

    def send(self, mail: EmailMessage) -> None:
        with self._lock:
            if self._closed_by_client() or (
                time.monotonic() - self._used_at >= self.check_after_seconds and not self._still_open()
            ):
                self._close()
            try:
                self._send(mail)
            except (smtplib.SMTPServerDisconnected, ConnectionError):
                self._close()
                raise
            finally:
                self._used_at = time.monotonic()

    def _closed_by_client(self) -> bool:
        """Whether smtplib closed the session's socket itself (it does on a 421 answer, which
        it raises as a refusal, not as a lost session)."""
        session = getattr(self._backend, "connection", None)
        return isinstance(session, smtplib.SMTP) and session.sock is None

    def _still_open(self) -> bool:
        """Whether the session (if one is open) still answers."""
        session = getattr(self._backend, "connection", None)
        if not isinstance(session, smtplib.SMTP):  # none open yet, or another backend
            return True
        try:
            code, _message = session.noop()
        except (smtplib.SMTPException, OSError):
            return False
        return code == 250

    def _send(self, mail: EmailMessage) -> None:
        # Opened here (the backend's own send would close a session it opened itself); a
        # server that cannot be reached costs this reply, not the poll. An automatic reply
        # goes with a null return path, so that no server answers it with a bounce: a bounce
        # would come back into the mailbox quoting the receipt. The From header still names
        # the channel's address.
        outgoing_mail.send(mail, backend=self._backend, null_sender=True)

    def _close(self) -> None:
        try:
            self._backend.close()
        except OSError:  # the session was gone already: nothing is lost
            log.info("The mail server had already closed the session for replies")

    def __enter__(self) -> Replies:
        return self

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._close()


def take_in(
    *,
    channel: Channel,
    raw: bytes,
    questionnaire: QuestionnaireVersion | None = None,
    replies: Replies | None = None,
    left_in_mailbox: bool = False,
) -> TakenIn:
    """Store one received message as a report (or find the report it already is).

    A poll gives the channel's mail ``questionnaire``, looked up once for all its mail, and
    its ``replies`` session; without them each is found, or opened, for this message alone.
    ``left_in_mailbox``: ``raw`` is only the headers of a message too large to fetch, which
    stays in the mailbox; the report is held and says so.
    """
    parsed, quarantine = _read(raw, channel=channel, left_in_mailbox=left_in_mailbox)
    parsed = without_receipts(parsed)
    digest = source_digest(channel=channel, raw=raw, message_id=parsed.message_id)
    # A message once left in the mailbox was kept by the digest of its headers alone: looked
    # up in the same query, so that the whole message, taken in now, is linked to it.
    headers = "" if left_in_mailbox else _headers_digest(channel=channel, raw=raw, parsed=parsed)
    found = dict(
        Report.objects.filter(source_digest__in=[digest, headers] if headers else [digest]).values_list(
            "source_digest", "quarantine"
        )
    )
    if digest in found:
        return TakenIn(result=Result.ALREADY_TAKEN)
    questionnaire = questionnaire or mail_questionnaire(channel=channel)
    try:
        submission = _store(channel, raw, parsed, digest=digest, quarantine=quarantine, questionnaire=questionnaire)
    except SourceAlreadyTaken:
        return TakenIn(result=Result.ALREADY_TAKEN)
    except (DatabaseError, OSError):
        raise  # the database or the disk, not the message: it stays in the mailbox for the next poll
    except Exception as error:
        if quarantine:
            raise  # not even the original alone could be stored: it stays in the mailbox
        # Something in the message made storing it fail (a file no reader could open, say):
        # held with its original rather than tried again at every poll. The class and place
        # only: an exception's message can quote the mail.
        log.warning(
            "A message of channel %s could not be stored (%s); it is kept in quarantine",
            channel.slug,
            jobs.describe_error(exc=error),
        )
        parsed, quarantine = replace(parsed, body="", files=[], left_out=[]), Quarantine.NOT_STORED
        try:
            submission = _store(channel, raw, parsed, digest=digest, quarantine=quarantine, questionnaire=questionnaire)
        except SourceAlreadyTaken:
            return TakenIn(result=Result.ALREADY_TAKEN)
    if found.get(headers) == Quarantine.LEFT_IN_MAILBOX:
        _link_to_its_headers(channel=channel, digest=headers, report=submission.report)
    result = Result.QUARANTINED if quarantine else Result.TAKEN
    if not _reply_due(channel, parsed):
        return TakenIn(result=result, report=submission.report)
    state = _reply(channel=channel, parsed=parsed, receipt=submission.receipt, replies=replies)
    # Noted at once, whatever happens to the rest of the poll.
    _note_reply(channel=channel, report=submission.report, state=state)
    return TakenIn(result=result, report=submission.report)


def _header_block(raw: bytes) -> bytes:
    """The message's headers and the blank line that ends them, as far as HEADERS_KEPT goes:
    what the server gives for BODY[HEADER]<0.N>, which is all that is kept of a message left
    in the mailbox."""
    ends = [(at, end) for end in (b"\r\n\r\n", b"\n\n") if (at := raw.find(end)) >= 0]
    if ends:
        at, end = min(ends)
        raw = raw[: at + len(end)]
    return raw[: parsing.HEADERS_KEPT]


def _headers_digest(*, channel: Channel, raw: bytes, parsed: parsing.ParsedMail) -> str:
    """The digest the message had if it was once left in the mailbox: of its header block,
    with the Message-ID read from that block alone, as it was then."""
    block = _header_block(raw)
    if len(block) < parsing.HEADERS_KEPT:  # the whole header section, read here as there
        return source_digest(channel=channel, raw=block, message_id=parsed.message_id)
    return source_digest(channel=channel, raw=block, message_id=_headers_only(block).message_id)


def _link_to_its_headers(*, channel: Channel, digest: str, report: Report) -> None:
    """A mail left in the mailbox (too large to fetch) and taken in whole later (the limit
    raised) is a new report: the worker holds no report key to fill the held one. It is
    linked to the held report (kept under the digest of the headers), so handlers see they
    are one mail (audited, as a link)."""
    held = Report.objects.filter(source_digest=digest, quarantine=Quarantine.LEFT_IN_MAILBOX).first()
    if held is None:  # discarded meanwhile
        return
    try:
        with transaction.atomic():
            _, created = ReportLink.objects.get_or_create(
                source=report, target=held, defaults={"kind": ReportLink.Kind.WHOLE_MAIL}
            )
            if created:
                detail = {"target": held.reference, "kind": ReportLink.Kind.WHOLE_MAIL.value}
                audit.record(action="report.link", report_ref=report.reference, detail=detail)
    except DatabaseError as error:  # the report is stored and its receipt goes out: only the link is missing
        log.warning(
            "A mail of channel %s could not be linked to its held headers (%s)", channel.slug, type(error).__name__
        )


def _read(raw: bytes, *, channel: Channel, left_in_mailbox: bool) -> tuple[parsing.ParsedMail, str]:
    """The message as read, and why it is held ("" when it is not)."""
    if left_in_mailbox:
        return _headers_only(raw), Quarantine.LEFT_IN_MAILBOX
    if len(raw) > settings.TIPLINE_MAIL_MAX_BYTES:
        return _headers_only(raw), Quarantine.TOO_LARGE
    held, why = Quarantine.UNREADABLE, "could not be read"
    try:
        parsed = parsing.parse(raw)
    except parsing.HeaderTooLong:
        held, why = Quarantine.HEADER_TOO_LONG, "has a header too long to read"
    except parsing.TooComplex:
        held, why = Quarantine.TOO_COMPLEX, "has too many parts or lines, or parts nested too deep, to read"
    except Exception:  # noqa: S110 - held below, with the class of the failure only in the log
        pass
    else:
        if parsed.delivery_report:  # its text and files stay in the original, for a supervisor
            return _headers_only(raw), Quarantine.DELIVERY_REPORT
        return parsed, ""
    log.warning("A message of channel %s %s; it is kept in quarantine", channel.slug, why)
    return _headers_only(raw), held


def _store(
    channel: Channel,
    raw: bytes,
    parsed: parsing.ParsedMail,
    *,
    digest: str,
    quarantine: str,
    questionnaire: QuestionnaireVersion,
) -> register.Submission:
    """The report of one message, with its original kept (raises :class:`SourceAlreadyTaken`)."""
    with _spooled(parsed.files if not quarantine else []) as files:
        return register.create_report(
            channel=channel,
            questionnaire=questionnaire,
            answers=_answers(parsed, quarantine=quarantine),
            files=files,
            identity=parsed.identity,
            source=raw,
            source_digest=digest,
            quarantine=quarantine,
            reply_address=parsed.sender_address if _answers_by_email(channel, parsed) else "",
            # Until it is sent, the report says its sender may have no reply (nor receipt).
            reply_pending=_reply_due(channel, parsed),
            hold_uncleaned=False,  # nobody could decide about it: the handlers get it, marked
        )


# A receipt's shape: 16 digits, in groups of four or not (a reply quotes ours as "1234 5678 …").
_RECEIPT_SHAPED = re.compile(r"(?<![0-9])[0-9]{4}(?:[ \-\u00a0]?[0-9]{4}){3}(?![0-9])")
# Numbers of that shape checked in one mail (one Argon2id each); any beyond are removed unchecked.
RECEIPTS_CHECKED = 3


def without_receipts(parsed: parsing.ParsedMail) -> parsing.ParsedMail:
    """The mail without a receipt it quotes in its subject or text: a reporter who answers the
    acknowledgement quotes their receipt, which would hand whoever reads this report the key to
    theirs (they could write as that reporter, or claim their reward). A number of a receipt's
    shape is removed when it opens a report (a card number of the same shape stays), and so is
    any beyond the few checked; the original, which supervisors alone open, keeps them."""
    found = list(dict.fromkeys(_RECEIPT_SHAPED.findall(f"{parsed.subject}\n{parsed.body}")))
    if not found:
        return parsed
    checked, unchecked = found[:RECEIPTS_CHECKED], found[RECEIPTS_CHECKED:]
    removed = {number for number in checked if register.opens_a_report(receipt_text=number)} | set(unchecked)
    if not removed:
        return parsed

    def scrub(text: str) -> str:
        return _RECEIPT_SHAPED.sub(lambda m: _("[a receipt, removed]") if m.group(0) in removed else m.group(0), text)

    note = _(
        "A receipt quoted in the mail, removed from its text: whoever holds it could act as that report's "
        "reporter. The original keeps it."
    )
    return replace(parsed, subject=scrub(parsed.subject), body=scrub(parsed.body), left_out=[*parsed.left_out, note])


def _answers_by_email(channel: Channel, parsed: parsing.ParsedMail) -> bool:
    """Whether handlers may answer this sender by e-mail (the channel allows it; not to
    automatic mail)."""
    return channel.mail_answers and bool(parsed.sender_address) and not parsed.automatic


def _headers_only(raw: bytes) -> parsing.ParsedMail:
    try:
        return parsing.read_headers(raw)
    except Exception:
        return parsing.ParsedMail()


def _answers(parsed: parsing.ParsedMail, *, quarantine: str) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    if parsed.subject:
        answers["subject"] = parsed.subject
    if parsed.body:
        answers["message"] = parsed.body
    left_out = list(parsed.left_out)
    if quarantine:
        left_out.insert(0, str(Quarantine(quarantine).label))
    if left_out:
        answers["not_taken_in"] = "\n".join(left_out)
    return answers


@contextmanager
def _spooled(files: list[parsing.MailFile]) -> Iterator[list[register.IncomingFile]]:
    """The mail's files as incoming files in the memory-backed folder (never on disk),
    deleted afterwards whatever happens."""
    with ExitStack() as stack:
        incoming = []
        for item in files:
            handle = stack.enter_context(
                tempfile.NamedTemporaryFile(dir=settings.TIPLINE_CLEAN_DIR, prefix=f"{UPLOAD_PREFIX}{os.getpid()}-")
            )
            handle.write(item.data)
            handle.flush()
            incoming.append(register.IncomingFile(path=Path(handle.name), name=item.name, size=len(item.data)))
        yield incoming


def _note_reply(*, channel: Channel, report: Report, state: str) -> None:
    """The report's reply sent (``state`` empty) or refused (``FAILED``: the sender got no
    receipt); ``PENDING`` leaves it as it was stored, not known to be sent. A database that
    fails here costs only the note: a report whose reply was sent goes on saying it is not
    known to be, which is true."""
    if state == MailReplyState.PENDING:
        return
    try:
        Report.objects.filter(pk=report.pk, mail_reply_state=MailReplyState.PENDING).update(mail_reply_state=state)
    except DatabaseError as error:
        log.warning("The reply to a mail of channel %s could not be noted (%s)", channel.slug, type(error).__name__)


def _reply_due(channel: Channel, parsed: parsing.ParsedMail) -> bool:
    """Whether the channel answers this sender: never automatic mail (no loops), nor a mail
    without a sender's address."""
    return channel.mail_reply != MailReply.NOTHING and not parsed.automatic and bool(parsed.sender_address)


def _reply(*, channel: Channel, parsed: parsing.ParsedMail, receipt: str, replies: Replies | None) -> str:
    """Answer the sender as the channel says, in every site language (the channel's own
    acknowledgement text in the default one). What to note of it: empty when it was sent,
    ``FAILED`` when it was not, ``PENDING`` when the mail server took it and never
    answered (it may have been delivered)."""

    def write(language: str) -> str:
        own = channel.acknowledgement_text.strip() if language == outgoing_mail.site_languages()[0] else ""
        parts = [own or _("Thank you. Your report was received and will be handled in confidence.")]
        if channel.mail_reply == MailReply.RECEIPT:
            parts.append(
                _(
                    "Your receipt: %(receipt)s\n\nWith it you can follow your report and write with the person "
                    "handling it, without e-mail and without giving your name, at %(portal)s . Keep it safe: it is "
                    "the only way in, and nobody can give it to you again."
                )
                % {"receipt": format_receipt(receipt), "portal": outgoing_mail.portal_address()}
            )
        parts.append(
            _(
                "Please know that e-mail is not confidential: the mail services on the way can see who wrote to "
                "whom, and when. To go on without e-mail, use the web form at %(site)s ."
            )
            % {"site": outgoing_mail.how_to_report_address(language)}
        )
        return "\n\n".join(parts)

    mail = EmailMessage(
        subject=outgoing_mail.subject_in_every_language(lambda _language: _("Your report was received")),
        body=outgoing_mail.in_every_language(write),
        from_email=channel.email_address or settings.DEFAULT_FROM_EMAIL,
        to=[parsed.sender_address],
        headers={"Auto-Submitted": "auto-replied"},
    )
    try:
        if replies is None:
            with Replies() as own:
                own.send(mail)
        else:
            replies.send(mail)
    except outgoing_mail.DeliveryUnknown as error:  # never sent again: it would go twice
        log.warning(
            "The mail server took the reply to a mail of channel %s but did not confirm it (%s)",
            channel.slug,
            jobs.describe_error(exc=error.__cause__ or error),
        )
        return MailReplyState.PENDING
    except Exception as error:  # whatever it was, the report is stored and says its reply failed
        # The reply is lost (the receipt is never kept anywhere). The class and place only:
        # an exception's message can quote the address.
        log.warning(
            "The reply to a mail of channel %s could not be sent (%s)", channel.slug, jobs.describe_error(exc=error)
        )
        return MailReplyState.FAILED
    return ""


# Messages whose reports are committed are removed from the mailbox this many at a time
# (one command for them all); a crash before that leaves them to the next poll, which
# finds their reports and only removes them.
REMOVE_TOGETHER = 10


def poll(*, channel: Channel, threads: int | None = None) -> PollSummary:
    """Take in every message waiting in the channel's mailbox.

    Messages are fetched one by one on one connection and taken in by ``threads`` at
    once (each one's Argon2id derivation and cleaning run in parallel); each is removed
    from the mailbox only after its report is committed, with the others committed
    before it. Their replies share one SMTP session.
    """
    summary = PollSummary()
    workers = threads or settings.TIPLINE_MAIL_THREADS
    with Mailbox(channel) as box, Replies() as replies, ExitStack() as stack:
        pool = stack.enter_context(_Threads(workers)) if workers > 1 else None
        waiting: list[tuple[str, Future[TakenIn]]] = []
        stored: list[str] = []  # committed, not yet removed
        uids = box.uids()
        if uids:  # what every message of the poll shares, looked up once
            sizes = box.sizes()
            intake = _Intake(channel=channel, questionnaire=mail_questionnaire(channel=channel), replies=replies)
        limit = settings.TIPLINE_MAIL_FETCH_MAX_BYTES
        for uid in uids:
            raw = None
            if sizes.get(uid, 0) <= limit:
                # From a server that would not tell its size, one byte beyond the limit at most.
                raw = box.fetch(uid, at_most=None if uid in sizes else limit + 1)
                if raw is None:
                    continue
            if raw is None or len(raw) > limit:
                # Never downloaded whole, never removed: a held report from its headers (once) says so.
                head = box.fetch_headers(uid, at_most=parsing.HEADERS_KEPT)
                if head is not None:
                    _finish((uid, _done(replace(intake, left_in_mailbox=True), head)), summary, channel)
                continue
            waiting.append((uid, pool.submit(intake, raw) if pool else _done(intake, raw)))
            while len(waiting) >= 2 * workers:
                stored += _finish(waiting.pop(0), summary, channel)
            if len(stored) >= REMOVE_TOGETHER:
                box.remove(stored)
                stored = []
        for item in waiting:
            stored += _finish(item, summary, channel)
        box.remove(stored)
    return summary


@dataclass(frozen=True)
class _Intake:
    """What a poll's messages share: the channel, its mail questionnaire and the replies' session."""

    channel: Channel
    questionnaire: QuestionnaireVersion
    replies: Replies
    left_in_mailbox: bool = False

    def take_in(self, raw: bytes) -> TakenIn:
        return take_in(
            channel=self.channel,
            raw=raw,
            questionnaire=self.questionnaire,
            replies=self.replies,
            left_in_mailbox=self.left_in_mailbox,
        )


def _done(intake: _Intake, raw: bytes) -> Future[TakenIn]:
    """Take one message in here, in this thread (one thread: no pool)."""
    future: Future[TakenIn] = Future()
    _take_in_to(future, intake, raw)
    return future


def _take_in_to(future: Future[TakenIn], intake: _Intake, raw: bytes) -> None:
    """Take one message in, its result or failure kept in ``future`` for the poll (which
    raises any failure but an ``Exception`` again when it reads the result)."""
    try:
        future.set_result(intake.take_in(raw))
    except BaseException as error:  # a thread's future is always resolved: the poll waits on it
        future.set_exception(error)


class _Threads:
    """``count`` threads taking in a poll's messages, each on one database connection of
    its own for the whole poll (opening one a message would cost more than its queries),
    closed when the thread ends; a connection a failure left unusable is closed at once."""

    def __init__(self, count: int) -> None:
        self._tasks: queue.SimpleQueue[tuple[Future[TakenIn], _Intake, bytes] | None] = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._run, name=f"mail-intake-{n}") for n in range(count)]
        for thread in self._threads:
            thread.start()

    def submit(self, intake: _Intake, raw: bytes) -> Future[TakenIn]:
        future: Future[TakenIn] = Future()
        self._tasks.put((future, intake, raw))
        return future

    def _run(self) -> None:
        try:
            while (task := self._tasks.get()) is not None:
                _take_in_to(*task)
                connection.close_if_unusable_or_obsolete()
        finally:
            connections.close_all()  # this thread's own: never left open

    def __enter__(self) -> _Threads:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for _thread in self._threads:
            self._tasks.put(None)
        for thread in self._threads:
            thread.join()


def _finish(item: tuple[str, Future[TakenIn]], summary: PollSummary, channel: Channel) -> list[str]:
    """The message's uid once its report is committed (to be removed), else nothing."""
    uid, future = item
    try:
        taken = future.result()
    except Exception as error:
        summary.failed += 1
        # Class and place only: an exception's message can quote the mail it failed on.
        log.error(
            "A message of channel %s was not taken in (%s); it stays in the mailbox",
            channel.slug,
            jobs.describe_error(exc=error),
        )
        return []
    summary.count(taken.result)
    return [uid]


def poll_all() -> PollSummary:
    """Every open mailbox channel with a server, one after the other. What stopped one
    (never a message's words) is kept on the channel for the console and the admin, in
    English as the worker's log says it and in each site language, until the mailbox is
    read again."""
    total = PollSummary()
    # A mailbox no longer read (closed, or its server taken away) has no problem to show any more.
    _forget_problems(
        Channel.objects.filter(kind=ChannelKind.MAILBOX)
        .exclude(mail_problem="")
        .filter(Q(is_active=False) | Q(imap_url=""))
    )
    for channel in Channel.objects.filter(kind=ChannelKind.MAILBOX, is_active=True).exclude(imap_url=""):
        problem: Callable[[], str]
        try:
            summary = poll(channel=channel)
        except (MailboxUnavailable, ValidationError) as error:
            log.warning("The mailbox of channel %s cannot be read: %s", channel.slug, error)
            problem = partial(_cannot_be_read, error)
        except (imaplib.IMAP4.error, OSError) as error:  # the connection broke during the poll
            # The class only: a server's words could quote a message. The rest waits for the next poll.
            log.warning("The mailbox of channel %s stopped answering: %s", channel.slug, type(error).__name__)
            problem = partial(_stopped_answering, type(error).__name__)
        except Exception as error:  # whatever it was, the other channels are still read
            log.error("The mailbox of channel %s could not be read (%s)", channel.slug, jobs.describe_error(exc=error))
            problem = partial(_read_failed, type(error).__name__)
        else:
            for name in ("taken", "quarantined", "already_taken", "failed"):
                setattr(total, name, getattr(total, name) + getattr(summary, name))
            if not summary.failed:
                _note(channel, mail_read_at=timezone.now(), **_NO_PROBLEM)
                continue
            problem = partial(_messages_failed, summary.failed)
        with translation.override("en"):
            english = problem()
        said = {}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                said[code.lower()] = problem()[:_PROBLEM_CHARS]
        _note(
            channel,
            mail_problem=english[:_PROBLEM_CHARS],
            mail_problem_said=said,
            mail_problem_since=Coalesce("mail_problem_since", Value(timezone.now())),
        )
    return total


_PROBLEM_CHARS = 300
_NO_PROBLEM: dict[str, Any] = {"mail_problem": "", "mail_problem_said": {}, "mail_problem_since": None}


def _cannot_be_read(error: MailboxUnavailable | ValidationError) -> str:
    return _("the mailbox cannot be read: %(reason)s") % {"reason": _said(error)}


def _stopped_answering(kind: str) -> str:
    return _("the mailbox stopped answering during a read (%(error)s)") % {"error": kind}


def _read_failed(kind: str) -> str:
    return _("reading the mailbox failed (%(error)s); the worker's log says where") % {"error": kind}


def _messages_failed(count: int) -> str:
    return ngettext(
        "%(count)d message could not be taken in at the last read and stays in the mailbox for the next one; "
        "the worker's log says why",
        "%(count)d messages could not be taken in at the last read and stay in the mailbox for the next one; "
        "the worker's log says why",
        count,
    ) % {"count": count}


def _forget_problems(channels: QuerySet[Channel]) -> None:
    try:
        channels.update(**_NO_PROBLEM)
    except DatabaseError as error:
        log.warning("Mailbox problems could not be cleared (%s)", type(error).__name__)


def _note(channel: Channel, **state: object) -> None:
    """What this read found, on the channel; a database that fails here too costs only the note."""
    try:
        Channel.objects.filter(pk=channel.pk).update(**state)
    except DatabaseError as error:
        log.warning(
            "The state of the mailbox of channel %s could not be noted (%s)", channel.slug, type(error).__name__
        )


def _said(error: MailboxUnavailable | ValidationError) -> str:
    """What a refusal says, in one line, in the active language (a validation error as its messages)."""
    text = "; ".join(error.messages) if isinstance(error, ValidationError) else error.said()
    return " ".join(text.split())


def _readable_whole(raw: bytes) -> parsing.ParsedMail | None:
    """The message read whole, or None: too large, unreadable, or a delivery report (whose
    quoted reply may carry a receipt: it stays in the original)."""
    if len(raw) > settings.TIPLINE_MAIL_MAX_BYTES:
        return None
    try:
        parsed = parsing.parse(raw)
    except Exception:
        return None
    return None if parsed.delivery_report else parsed


def retry_quarantined(*, report: Report, by: StaffUser, report_key: bytes, identity_key: bytes) -> bool:
    """Read a held original again (a supervisor's action, audited); on success the report
    gets its text and files and leaves quarantine."""
    raw = register.read_source(report=report, identity_key=identity_key)
    # Only the headers of a message left in the mailbox were kept: there is nothing more to read.
    parsed = None if report.quarantine == Quarantine.LEFT_IN_MAILBOX else _readable_whole(raw)
    if parsed is None:
        audit.record(action="report.quarantine_retry", actor=by, report_ref=report.reference, detail={"ok": False})
        return False
    answers = _answers(without_receipts(parsed), quarantine="")
    with _spooled(parsed.files) as files:
        attachments, written = register.store_attachments(
            report_key=report_key, files=files, from_staff=False, hold_uncleaned=False
        )
    try:
        with transaction.atomic():
            locked = Report.objects.select_for_update().filter(pk=report.pk, purged_at__isnull=True).first()
            if locked is None or not locked.quarantine:  # a retry sent twice: the first one took it in
                raise NoLongerHeld
            for row in attachments:
                row.report = locked
            Attachment.objects.bulk_create(attachments)
            locked.answers_ct = register.answers_ciphertext(
                reference=locked.reference,
                questionnaire_number=locked.questionnaire.number if locked.questionnaire else 0,
                answers=answers,
                report_key=report_key,
            )
            locked.quarantine = ""
            locked.last_activity_at = timezone.now()
            locked.save(update_fields=["answers_ct", "quarantine", "last_activity_at", "updated_at"])
            audit.record(action="report.quarantine_retry", actor=by, report_ref=report.reference, detail={"ok": True})
    except BaseException:
        register.delete_blobs(names=written)
        raise
    return True
