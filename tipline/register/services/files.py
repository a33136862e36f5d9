"""Files of a report: cleaned (reporters' files), encrypted in chunks into the attachment
store, described, streamed back, held for the reporter's decision, and swept."""

from __future__ import annotations

import json
import logging
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tipline import blobstore
from tipline.crypto import boxes, stream
from tipline.register import binding, cleaning
from tipline.register.models import Attachment, Report

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncomingFile:
    """A file as received, on memory-backed storage (never in clear on disk)."""

    path: Path
    name: str
    size: int


@dataclass(frozen=True)
class SealedFile:
    """A reporter's file already cleaned and encrypted into the store under ``key`` before
    its report existed (the file of a refused send, kept for the retry). Its blob and
    description are bound to its blob name as an attachment's are."""

    blob: str
    meta_ct: bytes
    size: int
    held: bool
    key: bytes


@dataclass(frozen=True)
class AttachmentInfo:
    attachment: Attachment
    name: str
    size: int
    cleaned: bool
    rasterised: bool


MAX_FILENAME = 200
# The longest ending kept whole when a name is cut (".jpeg", ".docx", ".tar.gz" fit).
_MAX_EXTENSION = 16


def clean_filename(*, name: str) -> str:
    """The reporter's file name, without folders or control characters, at most
    ``MAX_FILENAME`` characters; a long name is cut before its extension, which is kept."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip() or "file"
    if len(base) <= MAX_FILENAME:
        return base
    stem, dot, extension = base.rpartition(".")
    if not dot or not stem or len(extension) + 1 > _MAX_EXTENSION:
        return base[:MAX_FILENAME]
    return stem[: MAX_FILENAME - len(extension) - 1].rstrip() + "." + extension


def _encrypt_to_store(key: bytes, path: Path) -> str:
    name = blobstore.new_blob_name()
    with path.open("rb") as source:
        chunks = stream.encrypt_chunks(key, stream.read_chunks(source), context=binding.file_stream(blob=name))
        blobstore.get_store().write(name, chunks)
    return name


def store_source(*, identity_key: bytes, source: bytes) -> str:
    """Encrypt what a channel received (a whole mail) under the identity key; its blob name."""
    name = blobstore.new_blob_name()
    chunks = stream.encrypt_chunks(identity_key, [source], context=binding.file_stream(blob=name))
    blobstore.get_store().write(name, chunks)
    return name


def read_source(*, report: Report, identity_key: bytes) -> bytes:
    """The original a channel received, for a supervisor (it names the sender)."""
    chunks = blobstore.get_store().read(report.source_blob)
    return b"".join(stream.decrypt_chunks(identity_key, chunks, context=binding.file_stream(blob=report.source_blob)))


def _prepare_attachment(
    *, report_key: bytes, incoming: IncomingFile, from_staff: bool, hold_uncleaned: bool, written: list[str]
) -> Attachment:
    """Clean (reporter files), encrypt and store one file; return the unsaved row."""
    name = clean_filename(name=incoming.name)
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
    held = hold_uncleaned and not from_staff and outcome.path is None
    return Attachment(
        blob=blob,
        meta_ct=boxes.encrypt(report_key, json.dumps(meta).encode(), context=binding.file_meta(blob=blob)),
        size=size,
        state=Attachment.State.HELD if held else Attachment.State.SENT,
        from_staff=from_staff,
    )


def delete_blobs(*, names: Iterable[str]) -> None:
    store = blobstore.get_store()
    for name in names:
        try:
            store.delete(name)
        except OSError:
            log.exception("could not delete a blob after a failed write; the orphan sweep will")


def store_attachments(
    *, report_key: bytes, files: Sequence[IncomingFile], from_staff: bool, hold_uncleaned: bool = True
) -> tuple[list[Attachment], list[str]]:
    """Encrypt every file into the store; on failure remove what was written.

    A reporter's file that could not be cleaned is held for the reporter's decision (in the
    portal, while they send); with ``hold_uncleaned`` false (a mail, or a call-taker's
    upload: nobody there to decide) it goes to the handlers at once, marked as not cleaned,
    rather than wait for a decision that never comes and be swept away unseen.
    """
    written: list[str] = []
    try:
        rows = [
            _prepare_attachment(
                report_key=report_key, incoming=f, from_staff=from_staff, hold_uncleaned=hold_uncleaned, written=written
            )
            for f in files
        ]
    except BaseException:
        delete_blobs(names=written)
        raise
    return rows, written


def adopt_sealed(*, sealed: SealedFile, report_key: bytes, written: list[str]) -> Attachment:
    """Re-encrypt a sealed file under the report key into a new blob (streamed chunk by
    chunk: the clear bytes exist only in memory, one chunk at a time); the unsaved row.
    The sealed blob is left for its owner to delete once the report is committed."""
    meta = boxes.decrypt(sealed.key, sealed.meta_ct, context=binding.file_meta(blob=sealed.blob))
    store = blobstore.get_store()
    clear = stream.decrypt_chunks(sealed.key, store.read(sealed.blob), context=binding.file_stream(blob=sealed.blob))
    name = blobstore.new_blob_name()
    written.append(name)
    store.write(name, stream.encrypt_chunks(report_key, clear, context=binding.file_stream(blob=name)))
    return Attachment(
        blob=name,
        meta_ct=boxes.encrypt(report_key, meta, context=binding.file_meta(blob=name)),
        size=sealed.size,
        state=Attachment.State.HELD if sealed.held else Attachment.State.SENT,
        from_staff=False,
    )


def describe_attachment(*, attachment: Attachment, report_key: bytes) -> AttachmentInfo:
    meta = json.loads(
        boxes.decrypt(report_key, bytes(attachment.meta_ct), context=binding.file_meta(blob=attachment.blob))
    )
    return AttachmentInfo(
        attachment=attachment,
        name=meta["name"],
        size=meta["size"],
        cleaned=meta["cleaned"],
        rasterised=meta.get("rasterised", False),
    )


def stream_attachment(*, attachment: Attachment, report_key: bytes) -> Iterator[bytes]:
    """Decrypt an attachment as a stream, chunk by chunk."""
    chunks = blobstore.get_store().read(attachment.blob)
    return stream.decrypt_chunks(report_key, chunks, context=binding.file_stream(blob=attachment.blob))


def describe_held(*, report: Report, report_key: bytes) -> list[AttachmentInfo]:
    """The files that wait for the reporter's decision (they could not be cleaned)."""
    rows = report.attachments.filter(state=Attachment.State.HELD)
    return [describe_attachment(attachment=a, report_key=report_key) for a in rows]


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
    delete_blobs(names=[a.blob for a in rows])
    return len(rows)


def purge_stale_held(*, now: datetime | None = None) -> int:
    """Files the reporter never decided on are deleted after TIPLINE_HELD_FILE_HOURS."""
    limit = (now or timezone.now()) - timedelta(hours=settings.TIPLINE_HELD_FILE_HOURS)
    stale = list(Attachment.objects.filter(state=Attachment.State.HELD, created_at__lt=limit))
    with transaction.atomic():
        Attachment.objects.filter(pk__in=[a.pk for a in stale]).delete()
    delete_blobs(names=[a.blob for a in stale])
    return len(stale)


# Higher apps that keep blobs of their own (the web form's kept uploads) say which of a
# set of names are theirs, so the sweep below leaves them alone.
_BLOB_KEEPERS: list[Callable[[set[str]], set[str]]] = []


def register_blob_keeper(keeper: Callable[[set[str]], set[str]]) -> None:
    """Add a function that returns which of the given blob names its app still uses."""
    if keeper not in _BLOB_KEEPERS:
        _BLOB_KEEPERS.append(keeper)


def sweep_orphan_blobs(*, min_age_seconds: int = 3600) -> int:
    """Delete blobs with no attachment row (left by a crash between write and commit)."""
    store = blobstore.get_store()
    names = set(store.names(older_than=min_age_seconds))
    known = set(Attachment.objects.filter(blob__in=names).values_list("blob", flat=True))
    known |= set(Report.objects.filter(source_blob__in=names).values_list("source_blob", flat=True))
    for keeper in _BLOB_KEEPERS:
        known |= keeper(names)
    orphans = names - known
    delete_blobs(names=orphans)
    return len(orphans)
