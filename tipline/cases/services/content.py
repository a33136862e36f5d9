"""Case handling: access to report keys, reading, downloads, notes. Every
read of content and every download is written to the audit log."""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.translation import gettext as _

from tipline.accounts import services as accounts
from tipline.accounts.exceptions import AccountError
from tipline.accounts.models import StaffUser
from tipline.audit import services as audit
from tipline.audit.models import AuditEntry
from tipline.cases.exceptions import NoAccess, NotAllowed, ReasonRequired
from tipline.cases.models import Exclusion, Note
from tipline.cases.permissions import Action, may_read_content, require
from tipline.crypto.errors import DecryptionFailed
from tipline.register import binding, keyring, outgoing_mail
from tipline.register import services as register
from tipline.register.exceptions import KeyNotHeld, ReportDestroyed
from tipline.register.models import Attachment, QuestionnaireVersion, Report
from tipline.register.texts import localize_schema

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NoteView:
    note: Note
    body: str


@dataclass(frozen=True)
class CaseContent:
    report: Report
    report_key: bytes
    answers: list[tuple[dict[str, Any], Any]]
    attachments: list[register.AttachmentInfo]
    messages: list[register.MessageView]

    @property
    def message_files(self) -> list[tuple[register.MessageView, register.AttachmentInfo]]:
        """The files sent with messages of the conversation, each with its message."""
        return [(item, file) for item in self.messages for file in item.attachments]


def report_key_for(*, report: Report, user: StaffUser, private_key: bytes) -> bytes:
    """Unseal the report key for a staff member whose current roles let them read content,
    who holds a grant and is not excluded. Every path to content (reading, replies, notes,
    downloads, exports, identity requests) goes through here."""
    if not may_read_content(user):
        raise NotAllowed(Action.READ_CONTENT)
    if report.exclusions.filter(user=user).exists():
        raise NoAccess
    try:
        return keyring.open_report_key(report=report, user=user, private_key=private_key)
    except KeyNotHeld:
        raise NoAccess from None


def _content(report: Report, report_key: bytes) -> CaseContent:
    return CaseContent(
        report=report,
        report_key=report_key,
        answers=register.read_answers(report=report, report_key=report_key),
        attachments=register.report_attachments(report=report, report_key=report_key),
        messages=register.list_messages(report=report, report_key=report_key),
    )


def open_case(*, report: Report, user: StaffUser, private_key: bytes) -> CaseContent:
    """Decrypt a report for one staff member's session; audited as a read of content."""
    content = _content(report, report_key_for(report=report, user=user, private_key=private_key))
    audit.record(action="report.read", actor=user, report_ref=report.reference)
    return content


def open_case_with_escrow(*, report: Report, admin: StaffUser, admin_private_key: bytes, reason: str) -> CaseContent:
    """An admin reads a report through the organisation's escrow key, with a written
    reason that goes into the audit trail. The only way an admin reads content."""
    require(admin, Action.ESCROW_READ, report)
    if not reason.strip():
        raise ReasonRequired
    try:
        escrow = accounts.escrow_private_key(admin=admin, admin_private_key=admin_private_key)
        report_key = keyring.open_report_key_with_escrow(report=report, escrow_private_key=escrow)
    except (AccountError, KeyNotHeld):
        raise NoAccess from None
    content = _content(report, report_key)
    audit.record(
        action="escrow.read",
        actor=admin,
        report_ref=report.reference,
        detail={"reason": audit.free_text(reason.strip()[:500])},
    )
    return content


def describe_attachment_for(*, attachment: Attachment, user: StaffUser, private_key: bytes) -> register.AttachmentInfo:
    """A file's name, size and whether it was cleaned, for a staff member who may read the
    report (nothing of the file's content is read, so not audited as a download)."""
    if attachment.state != Attachment.State.SENT:
        raise NoAccess
    report_key = report_key_for(report=attachment.report, user=user, private_key=private_key)
    return register.describe_attachment(attachment=attachment, report_key=report_key)


def download_attachment(
    *, attachment: Attachment, user: StaffUser, private_key: bytes
) -> tuple[register.AttachmentInfo, Iterator[bytes]]:
    """Decrypt an attachment as a stream for a staff member; audited."""
    if attachment.state != Attachment.State.SENT:
        raise NoAccess
    report_key = report_key_for(report=attachment.report, user=user, private_key=private_key)
    info = register.describe_attachment(attachment=attachment, report_key=report_key)
    audit.record(
        action="attachment.download",
        actor=user,
        report_ref=attachment.report.reference,
        detail={"attachment": attachment.pk},
    )
    return info, register.stream_attachment(attachment=attachment, report_key=report_key)


class EmailAnswer(enum.Enum):
    """What became of a handler's answer by e-mail."""

    SENT = "sent"
    NOT_SENT = "not_sent"
    # The mail server took it and never confirmed it: it may have been delivered.
    UNCONFIRMED = "unconfirmed"


def answer_by_email(*, report: Report, report_key: bytes, body: str, by: StaffUser) -> EmailAnswer:
    """Send a handler's answer by e-mail to the sender of a mail report, where its channel
    allows it (the answer is in the portal in any case)."""
    if not report.channel.mail_answers:
        return EmailAnswer.NOT_SENT
    address = register.read_reply_address(report=report, report_key=report_key)
    if not address:
        return EmailAnswer.NOT_SENT
    footer = outgoing_mail.in_every_language(
        lambda _language: (
            _(
                "This answer was sent by e-mail, which is not confidential. If you have a receipt, you can read and "
                "answer it on the web at %(portal)s. An answer by e-mail reaches us as a new report."
            )
            % {"portal": outgoing_mail.portal_address()}
        ),
        separator="\n\n",
    )
    mail = EmailMessage(
        subject=outgoing_mail.subject_in_every_language(lambda _language: _("About your report")),
        body=f"{body.strip()}\n\n-- \n{footer}",
        from_email=report.channel.email_address or settings.DEFAULT_FROM_EMAIL,
        to=[address],
    )
    try:
        with get_connection(fail_silently=False) as backend:
            outgoing_mail.send(mail, backend=backend)  # to an address written beyond ASCII too
    except outgoing_mail.DeliveryUnknown as error:
        log.warning(
            "The mail server took an answer to report %s but did not confirm it (%s)",
            report.reference,
            type(error.__cause__ or error).__name__,
        )
        audit.record(action="message.sent_by_email_unconfirmed", actor=by, report_ref=report.reference)
        return EmailAnswer.UNCONFIRMED
    except Exception as error:  # the answer is in the portal in any case; the handler is told
        log.warning("An answer to report %s could not be sent by e-mail (%s)", report.reference, type(error).__name__)
        return EmailAnswer.NOT_SENT
    audit.record(action="message.sent_by_email", actor=by, report_ref=report.reference)
    return EmailAnswer.SENT


def list_notes(*, report: Report, report_key: bytes) -> list[NoteView]:
    return [
        NoteView(note=n, body=binding.open_text(report_key, bytes(n.body_ct), place=_note_place(report, n)))
        for n in report.notes.select_related("author")
    ]


def store_note(*, report: Report, report_key: bytes, by: StaffUser, body: str, kind: str = Note.Kind.NOTE) -> Note:
    """Insert a note and seal its text bound to it (the caller's transaction)."""
    note = Note.objects.create(report=report, author=by, kind=kind, body_ct=b"")
    binding.seal_into(note, field="body_ct", key=report_key, plaintext=body.encode(), place=_note_place(report, note))
    return note


def _note_place(report: Report, note: Note) -> bytes:
    return binding.note(reference=report.reference, note_id=note.pk, kind=note.kind)


# How long a subject in the queue may be; the rest is cut.
SUBJECT_CHARS = 60
# Which answer names a report in one line: the kind of wrongdoing (a choice) before a
# short text, before the start of a long one.
_SUBJECT_TYPES = ("single_choice", "short_text", "long_text")


def _subject(answers: list[tuple[dict[str, Any], Any]]) -> str:
    for wanted in _SUBJECT_TYPES:
        for question, value in answers:
            if question.get("type") == wanted and isinstance(value, str) and value.strip():
                text = " ".join(value.split())
                return text if len(text) <= SUBJECT_CHARS else text[: SUBJECT_CHARS - 1] + "…"
    return ""


def queue_subjects(*, reports: list[Report], user: StaffUser, private_key: bytes | None) -> dict[int, str]:
    """A one-line subject for each report of a queue page that ``user`` may read: the kind
    of wrongdoing, or the start of the first text answer. Only for the page's rows, only
    with the person's own key grants (none for someone without a grant or excluded), in
    a few queries whatever the page holds. Each person's first reading of a report's subject
    is written to that report's audit trail (the subject does not change, so later views of
    the queue add nothing)."""
    if private_key is None or not reports or not may_read_content(user):
        return {}
    opened = keyring.open_report_keys(
        reports=Report.objects.filter(pk__in=[report.pk for report in reports], purged_at__isnull=True).exclude(
            pk__in=Exclusion.objects.filter(user=user).values("report_id")
        ),
        user=user,
        private_key=private_key,
        fields=("pk", "reference", "answers_ct", "questionnaire"),
    )
    if not opened:
        return {}
    # Each questionnaire version once, however many of the page's reports were answered on it.
    versions = QuestionnaireVersion.objects.in_bulk({report.questionnaire_id for report, _ in opened} - {None})
    questions = {pk: localize_schema(version.fields) for pk, version in versions.items()}
    subjects = {}
    for report, key in opened:
        asked = questions.get(report.questionnaire_id, [])
        try:
            subjects[report.pk] = _subject(register.read_answers(report=report, report_key=key, questions=asked))
        except (ReportDestroyed, DecryptionFailed, ValueError, KeyError):
            continue  # destroyed meanwhile, or unreadable: no subject rather than no queue
    references = {report.pk: report.reference for report in reports}
    shown = [references[pk] for pk in subjects]
    already = set(
        AuditEntry.objects.filter(action="queue.subject", actor=user, report_ref__in=shown).values_list(
            "report_ref", flat=True
        )
    )
    audit.record_many(action="queue.subject", actor=user, report_refs=[ref for ref in shown if ref not in already])
    return subjects
