"""Intake: questionnaires, submission, receipts, reporter messages and files."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from tipline import blobstore, client_limits
from tipline.accounts.models import CASE_ROLES, Organisation, Role, StaffKey, StaffUser
from tipline.audit import services as audit
from tipline.cases import deadlines
from tipline.cases.acknowledgement import apply_acknowledgement
from tipline.cases.models import ReportLink
from tipline.crypto import boxes, stream
from tipline.crypto import receipt as receipts
from tipline.crypto.errors import DecryptionFailed, MalformedReceipt
from tipline.intake import cleaning
from tipline.intake.exceptions import IdentityNotReceivable, InvalidReceipt, ReportDestroyed, TooManyReceiptAttempts
from tipline.intake.models import (
    Attachment,
    Channel,
    IdentityKeyGrant,
    QuestionnaireVersion,
    Report,
    ReportKeyGrant,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncomingFile:
    """A file as received, on memory-backed storage (never in clear on disk)."""

    path: Path
    name: str
    size: int


@dataclass(frozen=True)
class Submission:
    report: Report
    receipt: str
    report_key: bytes
    held: list[Attachment] = field(default_factory=list)


@dataclass(frozen=True)
class AttachmentInfo:
    attachment: Attachment
    name: str
    size: int
    cleaned: bool
    rasterised: bool


# ---------------------------------------------------------------- questionnaires


def publish_questionnaire(*, channel: Channel) -> QuestionnaireVersion:
    """Snapshot the channel's questions as a new version, unless nothing changed."""
    fields = [question.as_schema() for question in channel.questions.all()]
    with transaction.atomic():
        current = channel.questionnaire_versions.select_for_update().order_by("-number").first()
        if current is not None and current.fields == fields:
            return current
        number = current.number + 1 if current else 1
        return QuestionnaireVersion.objects.create(channel=channel, number=number, fields=fields)


# ---------------------------------------------------------------- submission


def _receipt_secrets(receipt: str, salt: bytes | None = None) -> receipts.ReceiptSecrets:
    if salt is None:
        salt = bytes(Organisation.objects.values_list("receipt_salt", flat=True).get(pk=1))
    return receipts.derive_receipt_secrets(
        receipt, salt=salt, pepper=settings.TIPLINE_PEPPER, cost=settings.TIPLINE_KDF_COST
    )


def clean_filename(name: str) -> str:
    """The reporter's file name, without folders or control characters, at most 200 characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return (base or "file")[:200]


def _encrypt_to_store(key: bytes, path: Path) -> str:
    name = blobstore.new_blob_name()
    with path.open("rb") as source:
        blobstore.get_store().write(name, stream.encrypt_chunks(key, stream.read_chunks(source)))
    return name


def _prepare_attachment(
    *, report_key: bytes, incoming: IncomingFile, from_staff: bool, written: list[str]
) -> Attachment:
    """Clean (reporter files), encrypt and store one file; return the unsaved row."""
    name = clean_filename(incoming.name)
    if from_staff:
        outcome = cleaning.CleanOutcome(path=None)
        blob = _encrypt_to_store(report_key, incoming.path)
        size = incoming.size
    else:
        with cleaning.cleaned_copy(incoming.path, name) as outcome:
            source = outcome.path or incoming.path
            size = source.stat().st_size
            blob = _encrypt_to_store(report_key, source)
    written.append(blob)
    meta = {"name": name, "size": size, "cleaned": outcome.path is not None, "rasterised": outcome.rasterised}
    held = not from_staff and outcome.path is None
    return Attachment(
        blob=blob,
        meta_ct=boxes.encrypt(report_key, json.dumps(meta).encode()),
        size=size,
        state=Attachment.State.HELD if held else Attachment.State.SENT,
        from_staff=from_staff,
    )


def delete_blobs(names: Iterable[str]) -> None:
    store = blobstore.get_store()
    for name in names:
        try:
            store.delete(name)
        except OSError:
            log.exception("could not delete a blob after a failed write; the orphan sweep will")


def store_attachments(
    *, report_key: bytes, files: Sequence[IncomingFile], from_staff: bool
) -> tuple[list[Attachment], list[str]]:
    """Encrypt every file into the store; on failure remove what was written."""
    written: list[str] = []
    try:
        rows = [
            _prepare_attachment(report_key=report_key, incoming=f, from_staff=from_staff, written=written)
            for f in files
        ]
    except BaseException:
        delete_blobs(written)
        raise
    return rows, written


def _active_supervisors() -> QuerySet[StaffUser]:
    return StaffUser.objects.filter(is_active=True, role_grants__role=Role.SUPERVISOR)


def _recipient_keys(channel: Channel) -> list[tuple[int, bytes]]:
    """(user id, public key) of the channel's recipients who may read reports, and every
    supervisor (who assign, so must hold the key)."""
    # A recipient without a case role (an editor, a call taker) is not given the key.
    keys = (
        StaffKey.objects.filter(user__is_active=True, user__role_grants__role__in=CASE_ROLES)
        .filter(Q(user__role_grants__role=Role.SUPERVISOR) | Q(user__channels=channel))
        .distinct()
    )
    return [(user_id, bytes(key)) for user_id, key in keys.values_list("user_id", "public_key")]


def identity_can_be_received() -> bool:
    """Whether an identity given now could ever be read: it is sealed to supervisors only."""
    return StaffKey.objects.filter(user__in=_active_supervisors().values("pk")).exists()


def _supervisor_keys() -> list[tuple[int, bytes]]:
    keys = StaffKey.objects.filter(user__in=_active_supervisors().values("pk")).values_list("user_id", "public_key")
    return [(user_id, bytes(key)) for user_id, key in keys]


def submit_report(
    *,
    channel: Channel,
    questionnaire: QuestionnaireVersion,
    answers: dict[str, Any],
    files: Sequence[IncomingFile] = (),
    identity: str = "",
    form_token: str = "",
) -> Submission:
    """Encrypt and store a report; return its receipt only after the commit.

    The one Argon2id derivation and all encryption happen before the short
    transaction, which writes every row or none. Files written to the store
    before a failed commit are deleted again. ``form_token`` is the random token of
    the form page: copies of one page (a double click) are linked once committed.
    """
    salt, escrow_public_key = Organisation.objects.values_list("receipt_salt", "escrow_public_key").get(pk=1)
    receipt = receipts.new_receipt()
    secrets_ = _receipt_secrets(receipt, bytes(salt))
    report_key = boxes.new_key()
    answers_ct = boxes.encrypt(report_key, json.dumps({"v": questionnaire.number, "answers": answers}).encode())
    identity_ct, identity_grants = None, []
    if identity.strip():
        identity_key = boxes.new_key()
        identity_ct = boxes.encrypt(identity_key, identity.strip().encode())
        identity_grants = [
            IdentityKeyGrant(user_id=user_id, sealed_key=boxes.seal(public_key, identity_key))
            for user_id, public_key in _supervisor_keys()
        ]
        if not identity_grants:  # sealed to nobody, it could never be read
            raise IdentityNotReceivable
    key_grants = [ReportKeyGrant(user=None, sealed_key=boxes.seal(bytes(escrow_public_key), report_key))]
    key_grants += [
        ReportKeyGrant(user_id=user_id, sealed_key=boxes.seal(public_key, report_key))
        for user_id, public_key in _recipient_keys(channel)
    ]
    attachments, written = store_attachments(report_key=report_key, files=files, from_staff=False)
    now = timezone.now()
    ack_due = deadlines.due_after_days(now, channel.ack_days)
    try:
        with transaction.atomic():
            report = Report.objects.create(
                channel=channel,
                questionnaire=questionnaire,
                created_at=now,
                ack_due_at=ack_due,
                next_due_at=ack_due,
                last_activity_at=now,
                lookup_id=secrets_.lookup_id,
                receipt_wrapped_key=boxes.encrypt(secrets_.wrap_key, report_key),
                answers_ct=answers_ct,
                identity_ct=identity_ct,
                form_digest=form_digest(form_token),
            )
            for grant in key_grants:
                grant.report = report
            for identity_grant in identity_grants:
                identity_grant.report = report
            for attachment in attachments:
                attachment.report = report
            ReportKeyGrant.objects.bulk_create(key_grants)
            IdentityKeyGrant.objects.bulk_create(identity_grants)
            Attachment.objects.bulk_create(attachments)
            if channel.auto_acknowledge:
                apply_acknowledgement(report=report, report_key=report_key, now=now, author=None)
    except BaseException:
        delete_blobs(written)
        raise
    try:
        link_copies(report)
    except Exception:  # the report is stored: nothing after the commit may cost the reporter the receipt
        log.warning("Could not link the copies of report %s sent from one form page", report.reference, exc_info=True)
    held = [a for a in attachments if a.state == Attachment.State.HELD]
    return Submission(report=report, receipt=receipt, report_key=report_key, held=held)


# ---------------------------------------------------------------- one form page sent twice

COPIES_WINDOW = timedelta(hours=1)


def form_digest(token: str) -> str:
    """What is kept of a form page's random token, for two windows (then blanked by
    :func:`forget_form_digests`): a digest keyed with the pepper, kept outside the database,
    so that a copy of the database cannot confirm which report a token, found in a seized
    browser, sent."""
    if not token:
        return ""
    return hmac.new(settings.TIPLINE_PEPPER, b"form-page:" + token.encode(), hashlib.blake2b).hexdigest()[:32]


def link_copies(report: Report) -> None:
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


def forget_form_digests(now: datetime | None = None) -> int:
    """Blank the digests of form pages older than the window: they serve only to link copies."""
    cutoff = (now or timezone.now()) - 2 * COPIES_WINDOW
    return Report.objects.exclude(form_digest="").filter(created_at__lt=cutoff).update(form_digest="")


# ---------------------------------------------------------------- receipts


RECEIPT_SCOPE = "receipt-attempts"


def _take_attempt(client_tag: str) -> None:
    """Count a log-in attempt before its derivation, so that attempts sent all at once
    are limited too; ``TooManyReceiptAttempts`` once the window's allowance is used up.
    The window runs from the first attempt (later ones do not extend it), and the count
    is shared by every server process."""
    allowed = client_limits.take(
        RECEIPT_SCOPE,
        client_tag,
        limit=settings.TIPLINE_RECEIPT_ATTEMPTS,
        window=settings.TIPLINE_RECEIPT_WINDOW_SECONDS,
    )
    if not allowed:
        raise TooManyReceiptAttempts


def _give_back_attempt(client_tag: str) -> None:
    """A right receipt does not count against the allowance; the wrong ones before it still do."""
    client_limits.give_back(RECEIPT_SCOPE, client_tag)


def open_with_receipt(*, receipt_text: str, client_tag: str) -> tuple[Report, bytes]:
    """Find and unlock a report with its receipt: one Argon2id, one generic failure."""
    _take_attempt(client_tag)
    try:
        receipt = receipts.normalise_receipt(receipt_text)
    except MalformedReceipt:
        raise InvalidReceipt from None
    secrets_ = _receipt_secrets(receipt)
    report = Report.objects.filter(lookup_id=secrets_.lookup_id).first()
    try:
        if report is None:
            raise DecryptionFailed
        if report.receipt_wrapped_key is None:
            raise DecryptionFailed
        report_key = boxes.decrypt(secrets_.wrap_key, bytes(report.receipt_wrapped_key))
    except DecryptionFailed:
        raise InvalidReceipt from None
    _give_back_attempt(client_tag)
    return report, report_key


# ---------------------------------------------------------------- reading


def read_answers(*, report: Report, report_key: bytes) -> list[tuple[dict[str, Any], Any]]:
    """The answers paired with the questions of the version they were given on."""
    if report.answers_ct is None:
        raise ReportDestroyed
    data = json.loads(boxes.decrypt(report_key, bytes(report.answers_ct)))
    answers = data["answers"]
    schema = report.questionnaire.fields if report.questionnaire else []
    return [(question, answers.get(question["key"])) for question in schema if question["type"] != "file"]


def read_identity(*, report: Report, identity_key: bytes) -> str:
    if report.identity_ct is None:
        return ""
    return boxes.decrypt(identity_key, bytes(report.identity_ct)).decode()


def describe_attachment(*, attachment: Attachment, report_key: bytes) -> AttachmentInfo:
    meta = json.loads(boxes.decrypt(report_key, bytes(attachment.meta_ct)))
    return AttachmentInfo(
        attachment=attachment,
        name=meta["name"],
        size=meta["size"],
        cleaned=meta["cleaned"],
        rasterised=meta.get("rasterised", False),
    )


def stream_attachment(*, attachment: Attachment, report_key: bytes) -> Iterator[bytes]:
    """Decrypt an attachment as a stream, chunk by chunk."""
    return stream.decrypt_chunks(report_key, blobstore.get_store().read(attachment.blob))


# ---------------------------------------------------------------- held files


def release_held(*, report: Report, attachment_ids: Iterable[int]) -> int:
    """The reporter agrees to send these uncleaned files as they are."""
    return Attachment.objects.filter(report=report, state=Attachment.State.HELD, pk__in=list(attachment_ids)).update(
        state=Attachment.State.SENT
    )


def drop_held(*, report: Report, attachment_ids: Iterable[int]) -> int:
    """The reporter withdraws these uncleaned files: the ciphertext is deleted."""
    rows = list(Attachment.objects.filter(report=report, state=Attachment.State.HELD, pk__in=list(attachment_ids)))
    with transaction.atomic():
        Attachment.objects.filter(pk__in=[a.pk for a in rows]).delete()
    delete_blobs(a.blob for a in rows)
    return len(rows)


def purge_stale_held(*, now: Any = None) -> int:
    """Files the reporter never decided on are deleted after TIPLINE_HELD_FILE_HOURS."""
    limit = (now or timezone.now()) - timedelta(hours=settings.TIPLINE_HELD_FILE_HOURS)
    stale = list(Attachment.objects.filter(state=Attachment.State.HELD, created_at__lt=limit))
    with transaction.atomic():
        Attachment.objects.filter(pk__in=[a.pk for a in stale]).delete()
    delete_blobs(a.blob for a in stale)
    return len(stale)


def sweep_orphan_blobs(*, min_age_seconds: int = 3600) -> int:
    """Delete blobs with no attachment row (left by a crash between write and commit)."""
    store = blobstore.get_store()
    names = set(store.names(older_than=min_age_seconds))
    known = set(Attachment.objects.filter(blob__in=names).values_list("blob", flat=True))
    orphans = names - known
    delete_blobs(orphans)
    return len(orphans)
