"""Reading a report's answers, identity and conversation, and adding to the conversation."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from tipline.accounts.models import StaffUser
from tipline.audit import services as audit
from tipline.crypto import boxes
from tipline.register import binding
from tipline.register.exceptions import EmptyMessage, ReportDestroyed
from tipline.register.models import REPORTERS_OWN, Attachment, DisclosureRequest, Message, Report
from tipline.register.services.files import (
    AttachmentInfo,
    IncomingFile,
    delete_blobs,
    describe_attachment,
    store_attachments,
)
from tipline.register.texts import localize_schema, shown_answer


def answers_ciphertext(
    *, reference: str, questionnaire_number: int, answers: dict[str, Any], report_key: bytes
) -> bytes:
    """The answers sealed for the report ``reference``, with the version they were given on."""
    data = json.dumps({"v": questionnaire_number, "answers": answers}).encode()
    return boxes.encrypt(report_key, data, context=binding.answers(reference=reference))


def read_answers(
    *,
    report: Report,
    report_key: bytes,
    language: str | None = None,
    questions: Sequence[dict[str, Any]] | None = None,
) -> list[tuple[dict[str, Any], Any]]:
    """The answers paired with the questions of the version they were given on, the
    questions and choices shown in ``language`` (the active one unless given).
    ``questions``: that version's questions already localized (``localize_schema``), for a
    list of reports answered on a few versions."""
    if report.answers_ct is None:
        raise ReportDestroyed
    data = json.loads(
        boxes.decrypt(report_key, bytes(report.answers_ct), context=binding.answers(reference=report.reference))
    )
    answers = data["answers"]
    if questions is None:
        questions = localize_schema(report.questionnaire.fields if report.questionnaire else [], language)
    given = [(question, answers.get(question["key"])) for question in questions if question["type"] != "file"]
    return [
        (question, shown_answer(question, value))
        for question, value in given
        if value is not None or not question.get("hide_unanswered")
    ]


def read_reply_address(*, report: Report, report_key: bytes) -> str:
    """The sender's address of a mail report whose channel lets handlers answer by e-mail."""
    if report.reply_address_ct is None:
        return ""
    place = binding.reply_address(reference=report.reference)
    return boxes.decrypt(report_key, bytes(report.reply_address_ct), context=place).decode()


def read_identity(*, report: Report, identity_key: bytes) -> str:
    if report.identity_ct is None:
        return ""
    return boxes.decrypt(
        identity_key, bytes(report.identity_ct), context=binding.identity(reference=report.reference)
    ).decode()


@dataclass(frozen=True)
class MessageView:
    message: Message
    body: str
    attachments: list[AttachmentInfo]


def list_messages(*, report: Report, report_key: bytes) -> list[MessageView]:
    messages = list(report.messages.all())
    files: dict[int, list[AttachmentInfo]] = {}
    for attachment in report.attachments.filter(message__isnull=False, state=Attachment.State.SENT):
        files.setdefault(attachment.message_id or 0, []).append(
            describe_attachment(attachment=attachment, report_key=report_key)
        )
    return [
        MessageView(
            message=m,
            body=read_message(report=report, message=m, report_key=report_key),
            attachments=files.get(m.pk, []),
        )
        for m in messages
    ]


def read_message(*, report: Report, message: Message, report_key: bytes) -> str:
    place = binding.message(reference=report.reference, message_id=message.pk, from_staff=message.from_staff)
    return binding.open_text(report_key, bytes(message.body_ct), place=place)


def add_message(
    *,
    report: Report,
    report_key: bytes,
    body: str,
    author: StaffUser | None,
    taken_by_phone: bool = False,
    automatic: bool = False,
    recording_consent: bool | None = None,
) -> Message:
    """Insert a message row and seal its body bound to it (the caller's transaction).

    ``automatic``: the organisation's own message with no person as its author (an
    acknowledgement sent on receipt): from the staff's side, never the reporter's.
    """
    message = Message.objects.create(
        report=report,
        from_staff=author is not None or automatic,
        automatic=automatic,
        author=author,
        body_ct=b"",
        taken_by_phone=taken_by_phone,
        recording_consent=recording_consent,
    )
    place = binding.message(reference=report.reference, message_id=message.pk, from_staff=message.from_staff)
    binding.seal_into(message, field="body_ct", key=report_key, plaintext=body.encode(), place=place)
    return message


def report_attachments(*, report: Report, report_key: bytes, include_held: bool = False) -> list[AttachmentInfo]:
    """Files sent with the report itself (not with a message)."""
    rows = report.attachments.filter(message__isnull=True)
    if not include_held:
        rows = rows.filter(state=Attachment.State.SENT)
    return [describe_attachment(attachment=a, report_key=report_key) for a in rows]


def post_message(
    *,
    report: Report,
    report_key: bytes,
    body: str,
    files: Sequence[IncomingFile] = (),
    author: StaffUser | None = None,
    taken_by_phone: bool = False,
    taken_by: StaffUser | None = None,
    recording_consent: bool | None = None,
    answers_meeting: bool = False,
    on_stored: Callable[[], None] | None = None,
) -> Message:
    """Add a message (from staff when ``author`` is given, else from the reporter), with files.
    ``taken_by_phone``: the reporter's words, taken down by a call-taker during a call (the
    call-taker ``taken_by``, named in the audit trail in the message's transaction), and
    ``recording_consent`` the caller's yes or no to a recording of that call. ``on_stored`` is
    called in the message's transaction (the call-taker's screen notes its page as sent).
    ``answers_meeting``: the staff member's message proposes the time and place of the
    meeting the reporter asked for, which answers the request (any other message leaves it open)."""
    body = body.strip()
    if not body and not files:
        raise EmptyMessage
    from_staff = author is not None
    taken_by_phone = taken_by_phone or taken_by is not None
    # Files a call-taker took with the caller's words go to the handlers at once: the caller
    # is not at the portal to decide about one that could not be cleaned.
    attachments, written = store_attachments(
        report_key=report_key, files=files, from_staff=from_staff, hold_uncleaned=not taken_by_phone
    )
    try:
        with transaction.atomic():
            # The report's row, as the purge locks it: a message never outlives its report.
            if not Report.objects.select_for_update().filter(pk=report.pk, purged_at__isnull=True).exists():
                raise ReportDestroyed
            message = add_message(
                report=report,
                report_key=report_key,
                body=body,
                author=author,
                taken_by_phone=taken_by_phone,
                recording_consent=recording_consent,
            )
            for row in attachments:
                row.report, row.message = report, message
            Attachment.objects.bulk_create(attachments)
            now = timezone.now()
            changes: dict[str, object] = {"last_activity_at": now}
            answered = from_staff and answers_meeting and report.meeting_requested_at is not None
            if answered:
                changes["meeting_requested_at"] = None
            Report.objects.filter(pk=report.pk).update(**changes)
            if from_staff:
                detail: dict[str, object] = {"files": len(attachments)}
                if answered:
                    detail["meeting_proposed"] = True
                audit.record(action="message.sent", actor=author, report_ref=report.reference, detail=detail)
                _acknowledged_by_message(report=report, by=author, now=now)
            if taken_by is not None:
                audit.record(action="message.taken_by_phone", actor=taken_by, report_ref=report.reference)
            if on_stored is not None:
                on_stored()
    except BaseException:
        delete_blobs(names=written)
        raise
    return message


def _acknowledged_by_message(*, report: Report, by: StaffUser | None, now: datetime) -> None:
    """A person's message to the reporter of a report nobody has acknowledged confirms its
    receipt (Directive 2019/1937 art. 9(1)(b)): it is acknowledged now, as with the button,
    and the feedback deadline becomes the next one. (The caller's transaction.)"""
    changes = report.acknowledged(now, by_person=True)
    if Report.objects.filter(pk=report.pk, status=Report.Status.NEW, acknowledged_at__isnull=True).update(**changes):
        for name, value in changes.items():
            setattr(report, name, value)
        audit.record(action="report.acknowledge", actor=by, report_ref=report.reference, detail={"by_message": True})


def mark_read_by_reporter(*, report: Report) -> None:
    report.messages.exclude(REPORTERS_OWN).filter(read_by_reporter=False).update(read_by_reporter=True)


@dataclass(frozen=True)
class DisclosureView:
    request: DisclosureRequest
    reason: str


def list_disclosures(*, report: Report, report_key: bytes, approved_only: bool = False) -> list[DisclosureView]:
    """Identity-disclosure requests with their reasons decrypted (the portal shows the
    approved ones: the reporter is told that and why their identity was disclosed)."""
    rows = report.disclosure_requests.select_related("requested_by", "decided_by")
    if approved_only:
        rows = rows.filter(state=DisclosureRequest.State.APPROVED)
    return [
        DisclosureView(
            request=r,
            reason=binding.open_text(
                report_key, bytes(r.reason_ct), place=binding.disclosure(reference=report.reference, request_id=r.pk)
            ),
        )
        for r in rows
    ]
