"""Case handling: access to report keys, reading, messages, downloads. Every
read of content and every download is written to the audit log."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from tipline.accounts import services as accounts
from tipline.accounts.exceptions import AccountError
from tipline.accounts.models import StaffUser
from tipline.audit import services as audit
from tipline.cases.exceptions import EmptyMessage, NoAccess, NotAllowed, ReasonRequired
from tipline.cases.models import Message, Note
from tipline.cases.permissions import Action, may_read_content, require
from tipline.crypto import boxes
from tipline.crypto.errors import DecryptionFailed
from tipline.intake import services as intake
from tipline.intake.models import Attachment, Report, ReportKeyGrant


@dataclass(frozen=True)
class MessageView:
    message: Message
    body: str
    attachments: list[intake.AttachmentInfo]


@dataclass(frozen=True)
class NoteView:
    note: Note
    body: str


@dataclass(frozen=True)
class CaseContent:
    report: Report
    report_key: bytes
    answers: list[tuple[dict[str, Any], Any]]
    attachments: list[intake.AttachmentInfo]
    messages: list[MessageView]


def report_key_for(*, report: Report, user: StaffUser, private_key: bytes) -> bytes:
    """Unseal the report key for a staff member whose current roles let them read content,
    who holds a grant and is not excluded. Every path to content (reading, replies, notes,
    downloads, exports, identity requests) goes through here."""
    if not may_read_content(user):
        raise NotAllowed(Action.READ_CONTENT)
    if report.exclusions.filter(user=user).exists():
        raise NoAccess
    grant = ReportKeyGrant.objects.filter(report=report, user=user).first()
    if grant is None:
        raise NoAccess
    try:
        return boxes.unseal(private_key, bytes(grant.sealed_key))
    except DecryptionFailed:
        raise NoAccess from None


def list_messages(*, report: Report, report_key: bytes) -> list[MessageView]:
    messages = list(report.messages.all())
    files: dict[int, list[intake.AttachmentInfo]] = {}
    for attachment in report.attachments.filter(message__isnull=False, state=Attachment.State.SENT):
        files.setdefault(attachment.message_id or 0, []).append(
            intake.describe_attachment(attachment=attachment, report_key=report_key)
        )
    return [
        MessageView(
            message=m, body=boxes.decrypt(report_key, bytes(m.body_ct)).decode(), attachments=files.get(m.pk, [])
        )
        for m in messages
    ]


def report_attachments(*, report: Report, report_key: bytes, include_held: bool = False) -> list[intake.AttachmentInfo]:
    """Files sent with the report itself (not with a message)."""
    rows = report.attachments.filter(message__isnull=True)
    if not include_held:
        rows = rows.filter(state=Attachment.State.SENT)
    return [intake.describe_attachment(attachment=a, report_key=report_key) for a in rows]


def _content(report: Report, report_key: bytes) -> CaseContent:
    return CaseContent(
        report=report,
        report_key=report_key,
        answers=intake.read_answers(report=report, report_key=report_key),
        attachments=report_attachments(report=report, report_key=report_key),
        messages=list_messages(report=report, report_key=report_key),
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
        grant = ReportKeyGrant.objects.get(report=report, user=None)
        report_key = boxes.unseal(escrow, bytes(grant.sealed_key))
    except (AccountError, ReportKeyGrant.DoesNotExist, DecryptionFailed):
        raise NoAccess from None
    content = _content(report, report_key)
    audit.record(
        action="escrow.read", actor=admin, report_ref=report.reference, detail={"reason": reason.strip()[:500]}
    )
    return content


def download_attachment(
    *, attachment: Attachment, user: StaffUser, private_key: bytes
) -> tuple[intake.AttachmentInfo, Iterator[bytes]]:
    """Decrypt an attachment as a stream for a staff member; audited."""
    if attachment.state != Attachment.State.SENT:
        raise NoAccess
    report_key = report_key_for(report=attachment.report, user=user, private_key=private_key)
    info = intake.describe_attachment(attachment=attachment, report_key=report_key)
    audit.record(
        action="attachment.download",
        actor=user,
        report_ref=attachment.report.reference,
        detail={"attachment": attachment.pk},
    )
    return info, intake.stream_attachment(attachment=attachment, report_key=report_key)


def post_message(
    *,
    report: Report,
    report_key: bytes,
    body: str,
    files: Sequence[intake.IncomingFile] = (),
    author: StaffUser | None = None,
) -> Message:
    """Add a message (from staff when ``author`` is given, else from the reporter), with files."""
    body = body.strip()
    if not body and not files:
        raise EmptyMessage
    from_staff = author is not None
    attachments, written = intake.store_attachments(report_key=report_key, files=files, from_staff=from_staff)
    try:
        with transaction.atomic():
            message = Message.objects.create(
                report=report,
                from_staff=from_staff,
                author=author,
                body_ct=boxes.encrypt(report_key, body.encode()),
            )
            for row in attachments:
                row.report, row.message = report, message
            Attachment.objects.bulk_create(attachments)
            Report.objects.filter(pk=report.pk).update(last_activity_at=timezone.now())
            if from_staff:
                audit.record(
                    action="message.sent", actor=author, report_ref=report.reference, detail={"files": len(attachments)}
                )
    except BaseException:
        intake.delete_blobs(written)
        raise
    return message


def list_notes(*, report: Report, report_key: bytes) -> list[NoteView]:
    return [
        NoteView(note=n, body=boxes.decrypt(report_key, bytes(n.body_ct)).decode())
        for n in report.notes.select_related("author")
    ]


def mark_read_by_reporter(*, report: Report) -> None:
    report.messages.filter(from_staff=True, read_by_reporter=False).update(read_by_reporter=True)
