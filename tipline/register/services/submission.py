"""Creating a report: questionnaires, the one transaction that stores a report with its
keys and files, and the links between copies of one form page sent twice."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from tipline.accounts.models import Organisation, StaffUser
from tipline.audit import services as audit
from tipline.crypto import boxes
from tipline.crypto import receipt as receipts
from tipline.register import binding, deadlines, keyring
from tipline.register.exceptions import SourceAlreadyTaken
from tipline.register.models import (
    Attachment,
    Channel,
    MailReplyState,
    QuestionnaireVersion,
    Report,
    ReportLink,
)
from tipline.register.models.reports import new_reference
from tipline.register.services.acknowledgement import apply_acknowledgement
from tipline.register.services.calls import add_transcript
from tipline.register.services.content import answers_ciphertext
from tipline.register.services.files import (
    IncomingFile,
    SealedFile,
    adopt_sealed,
    delete_blobs,
    store_attachments,
    store_source,
)
from tipline.register.services.receipts import receipt_secrets

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    report: Report
    receipt: str
    report_key: bytes
    held: list[Attachment] = field(default_factory=list)


def publish_questionnaire(*, channel: Channel) -> QuestionnaireVersion:
    """Snapshot the channel's questions as a new version, unless nothing changed."""
    fields = [question.as_schema() for question in channel.questions.all()]
    with transaction.atomic():
        current = channel.questionnaire_versions.select_for_update().order_by("-number").first()
        if current is not None and current.fields == fields:
            return current
        number = current.number + 1 if current else 1
        return QuestionnaireVersion.objects.create(channel=channel, number=number, fields=fields)


def recipient_names(*, channel: Channel) -> frozenset[str]:
    return frozenset(channel.recipients.values_list("username", flat=True))


def record_recipient_change(*, channel: Channel, before: frozenset[str], by: Any) -> None:
    """Audit a change of the staff who receive the channel's new reports (and their keys)."""
    after = recipient_names(channel=channel)
    if after != before:
        detail = {"channel": channel.slug, "added": sorted(after - before), "removed": sorted(before - after)}
        audit.record(action="channel.recipients_changed", actor=by, detail=detail)


def create_report(
    *,
    channel: Channel,
    questionnaire: QuestionnaireVersion,
    answers: dict[str, Any],
    files: Sequence[IncomingFile] = (),
    sealed_files: Sequence[SealedFile] = (),
    identity: str = "",
    form_token: str = "",
    source: bytes | None = None,
    source_digest: str | None = None,
    quarantine: str = "",
    recording_consent: bool | None = None,
    transcript: str = "",
    transcript_read_back: bool = False,
    reply_address: str = "",
    reply_pending: bool = False,
    hold_uncleaned: bool = True,
    taken_by: StaffUser | None = None,
    keep_receipt: Callable[[str], None] | None = None,
) -> Submission:
    """Encrypt and store a report; return its receipt only after the commit.

    The one Argon2id derivation and all encryption happen before the short
    transaction, which writes every row or none. Files written to the store
    before a failed commit are deleted again. ``form_token`` is the random token of
    the form page: copies of one page (a double click) are linked once committed.
    ``sealed_files`` were cleaned and encrypted earlier (a refused send's files kept for
    the retry): they are re-encrypted under the report key and attached like ``files``;
    their own blobs are the caller's to delete after the commit.

    Channels other than the web form may give the ``source`` as received (a mail),
    kept encrypted under the identity key because it names the sender (so an
    ``identity`` is required with it), and its ``source_digest``: a second report
    with the same digest is refused by the database (:class:`SourceAlreadyTaken`).
    ``hold_uncleaned`` false: a file that could not be cleaned is not held for the
    reporter's decision (see :func:`store_attachments`). ``reply_pending``: the channel
    answers the sender after the commit; the report says so until the caller notes the
    reply sent (``Report.mail_reply_state``).
    ``taken_by``: the call-taker who took the report down, named in the audit trail in the
    report's transaction; ``keep_receipt`` is called there with the receipt, to keep it
    for the one who will pass it on (the call-taker's screen), so that a report is never
    committed with its receipt lost.
    """
    if source is not None and not identity.strip():
        msg = "the source of a report names its sender: give the identity with it"
        raise ValueError(msg)
    salt, escrow_public_key = Organisation.objects.values_list("receipt_salt", "escrow_public_key").get(pk=1)
    receipt = receipts.new_receipt()
    secrets_ = receipt_secrets(receipt=receipt, salt=bytes(salt))
    report_key = boxes.new_key()
    reference = new_reference()
    answers_ct = answers_ciphertext(
        reference=reference, questionnaire_number=questionnaire.number, answers=answers, report_key=report_key
    )
    identity_ct, identity_key = _encrypt_identity(identity=identity, reference=reference)
    key_grants, identity_grants = keyring.seal_new_keys(
        channel=channel, report_key=report_key, escrow_public_key=bytes(escrow_public_key), identity_key=identity_key
    )
    attachments, written, source_blob = _store_files(
        report_key=report_key, identity_key=identity_key, files=files, source=source, hold_uncleaned=hold_uncleaned
    )
    try:
        for sealed in sealed_files:
            attachments.append(adopt_sealed(sealed=sealed, report_key=report_key, written=written))
    except BaseException:
        delete_blobs(names=written)
        raise
    now = timezone.now()
    ack_due = deadlines.due_after_days(now, channel.ack_days)
    try:
        with transaction.atomic():
            report = Report.objects.create(
                reference=reference,
                channel=channel,
                questionnaire=questionnaire,
                created_at=now,
                ack_due_at=ack_due,
                next_due_at=ack_due,
                last_activity_at=now,
                lookup_id=secrets_.lookup_id,
                receipt_wrapped_key=boxes.encrypt(
                    secrets_.wrap_key, report_key, context=binding.receipt_key(reference=reference)
                ),
                answers_ct=answers_ct,
                identity_ct=identity_ct,
                form_digest=form_digest(token=form_token),
                source_digest=source_digest,
                source_blob=source_blob,
                quarantine=quarantine,
                recording_consent=recording_consent,
                mail_reply_state=MailReplyState.PENDING if reply_pending else "",
                reply_address_ct=boxes.encrypt(
                    report_key, reply_address.encode(), context=binding.reply_address(reference=reference)
                )
                if reply_address
                else None,
            )
            for attachment in attachments:
                attachment.report = report
            keyring.store_new_grants(report=report, report_grants=key_grants, identity_grants=identity_grants)
            if transcript.strip():
                add_transcript(report=report, report_key=report_key, text=transcript, read_back=transcript_read_back)
            Attachment.objects.bulk_create(attachments)
            if channel.auto_acknowledge:
                apply_acknowledgement(report=report, report_key=report_key, now=now, author=None)
            if taken_by is not None:
                audit.record(action="report.taken_by_phone", actor=taken_by, report_ref=reference)
            if keep_receipt is not None:
                keep_receipt(receipt)
    except IntegrityError:
        delete_blobs(names=written)
        if source_digest and Report.objects.filter(source_digest=source_digest).exists():
            raise SourceAlreadyTaken from None
        raise
    except BaseException:
        delete_blobs(names=written)
        raise
    try:
        link_copies(report=report)
    except Exception:  # the report is stored: nothing after the commit may cost the reporter the receipt
        log.warning("Could not link the copies of report %s sent from one form page", report.reference, exc_info=True)
    held = [a for a in attachments if a.state == Attachment.State.HELD]
    return Submission(report=report, receipt=receipt, report_key=report_key, held=held)


def _encrypt_identity(*, identity: str, reference: str) -> tuple[bytes | None, bytes]:
    """The identity encrypted under a key of its own (sealed to the supervisors with the report key)."""
    if not identity.strip():
        return None, b""
    identity_key = boxes.new_key()
    sealed = boxes.encrypt(identity_key, identity.strip().encode(), context=binding.identity(reference=reference))
    return sealed, identity_key


def _store_files(
    *,
    report_key: bytes,
    identity_key: bytes,
    files: Sequence[IncomingFile],
    source: bytes | None,
    hold_uncleaned: bool,
) -> tuple[list[Attachment], list[str], str]:
    """The files (cleaned, under the report key) and the source (under the identity key)
    written to the store: their rows, every blob written, and the source's blob."""
    attachments, written = store_attachments(
        report_key=report_key, files=files, from_staff=False, hold_uncleaned=hold_uncleaned
    )
    if source is None:
        return attachments, written, ""
    try:
        source_blob = store_source(identity_key=identity_key, source=source)
    except BaseException:
        delete_blobs(names=written)
        raise
    return attachments, [*written, source_blob], source_blob


COPIES_WINDOW = timedelta(hours=1)


def form_digest(*, token: str) -> str:
    """What is kept of a form page's random token, for two windows (then blanked by
    :func:`forget_form_digests`): a digest keyed with the pepper, kept outside the database,
    so that a copy of the database cannot confirm which report a token, found in a seized
    browser, sent."""
    if not token:
        return ""
    return hmac.new(settings.TIPLINE_PEPPER, b"form-page:" + token.encode(), hashlib.blake2b).hexdigest()[:32]


def link_copies(*, report: Report) -> None:
    """Link every report sent from the same form page as ``report`` to the first of them.

    Without JavaScript a double click sends the form twice: both copies are stored, and
    the reporter holds the receipt of only one of them, which the server cannot tell
    (the browser keeps the answer to the request it sent last, and requests may finish
    in any order). Nothing is deleted; the copies of one page in one channel are linked
    to the first, so handlers see the group and answer on every copy. Each copy runs
    this after its own commit, so the one committed last sees them all and makes every
    missing link (a link is made once, whoever makes it).
    """
    if not report.form_digest:
        return
    same_page = (
        Report.objects.exclude(form_digest="")  # the partial index's condition: the index is used
        .filter(
            form_digest=report.form_digest,
            created_at__range=(report.created_at - COPIES_WINDOW, report.created_at + COPIES_WINDOW),
        )
        .order_by("created_at", "pk")
        .values_list("pk", "reference", "channel_id")
    )
    # The channel is compared here, not in SQL, so that no other index tempts the planner.
    copies = [(pk, reference) for pk, reference, channel_id in same_page if channel_id == report.channel_id]
    if len(copies) < 2:
        return
    (first_pk, first_reference), *later = copies
    for pk, reference in later:
        with transaction.atomic():
            _, created = ReportLink.objects.get_or_create(
                source_id=pk, target_id=first_pk, defaults={"kind": ReportLink.Kind.SENT_TWICE}
            )
            if created:
                detail = {"target": first_reference, "kind": ReportLink.Kind.SENT_TWICE.value}
                audit.record(action="report.link", report_ref=reference, detail=detail)


def forget_form_digests(*, now: datetime | None = None) -> int:
    """Blank the digests of form pages older than the window: they serve only to link copies."""
    cutoff = (now or timezone.now()) - 2 * COPIES_WINDOW
    return Report.objects.exclude(form_digest="").filter(created_at__lt=cutoff).update(form_digest="")
