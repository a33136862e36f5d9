"""Files of a refused web-form send, kept for the retry.

A send refused for a missing or wrong answer keeps its files: each is cleaned and
encrypted exactly as on a successful send, but under a random key kept in the reporter's
session vault (so the server alone cannot open it, and only that browser can), and
recorded against a keyed digest of the form page's random token (so only that page's
retry finds it). The retry lists them, can remove one, and attaches them to the report
(re-encrypted under the report key in the same transaction); abandoned ones are deleted
after ``TIPLINE_KEPT_UPLOAD_HOURS``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from tipline import session_vault
from tipline.crypto import boxes
from tipline.crypto.errors import DecryptionFailed
from tipline.intake.models import KeptUpload
from tipline.register import binding, services
from tipline.register.services import IncomingFile, SealedFile

log = logging.getLogger(__name__)

_KEY_SECRET = "kept-uploads"


@dataclass(frozen=True)
class KeptFile:
    """A kept file as the retry page shows it, and as the send attaches it."""

    pk: int
    question: str
    name: str
    size: int
    cleaned: bool
    sealed: SealedFile


def _key(request: HttpRequest, *, create: bool) -> bytes | None:
    key = session_vault.get_secret(request, _KEY_SECRET)
    if key is None and create:
        key = boxes.new_key()
        session_vault.put_secret(request, _KEY_SECRET, key)
    return key


def keep_uploads(*, request: HttpRequest, form_token: str, uploads: dict[str, list[IncomingFile]]) -> int:
    """Clean, encrypt and keep the files of a refused send; how many were kept. Nothing
    is kept without a form token (a hand-made request)."""
    digest = services.form_digest(token=form_token)
    files = [(question, incoming) for question, group in uploads.items() for incoming in group]
    if not digest or not files:
        return 0
    key = _key(request, create=True)
    assert key is not None  # noqa: S101 - created above
    rows, written = services.store_attachments(report_key=key, files=[f for _, f in files], from_staff=False)
    try:
        with transaction.atomic():
            KeptUpload.objects.bulk_create(
                KeptUpload(
                    form_digest=digest,
                    question=question[:64],
                    blob=row.blob,
                    meta_ct=bytes(row.meta_ct),
                    size=row.size,
                    held=row.state == row.State.HELD,
                )
                for (question, _), row in zip(files, rows, strict=True)
            )
    except BaseException:
        services.delete_blobs(names=written)
        raise
    return len(rows)


def list_kept(*, request: HttpRequest, form_token: str) -> list[KeptFile]:
    """The files kept for this form page that this browser's session can open."""
    digest = services.form_digest(token=form_token)
    key = _key(request, create=False)
    if not digest or key is None:
        return []
    kept = []
    for row in KeptUpload.objects.filter(form_digest=digest):
        try:
            meta = json.loads(boxes.decrypt(key, bytes(row.meta_ct), context=binding.file_meta(blob=row.blob)))
        except (DecryptionFailed, ValueError):
            continue  # another session's file of a page with the same token: not ours to see
        sealed = SealedFile(blob=row.blob, meta_ct=bytes(row.meta_ct), size=row.size, held=row.held, key=key)
        kept.append(
            KeptFile(
                pk=row.pk,
                question=row.question,
                name=meta["name"],
                size=row.size,
                cleaned=meta["cleaned"],
                sealed=sealed,
            )
        )
    return kept


def remove_kept(*, kept: Sequence[KeptFile], pk: int) -> bool:
    """The reporter removes one of their kept files; whether it was there."""
    found = [k for k in kept if k.pk == pk]
    if not found:
        return False
    discard(kept=found)
    return True


def discard(*, kept: Sequence[KeptFile]) -> None:
    """Delete kept files (sent with their report, or removed): rows first, then blobs."""
    if not kept:
        return
    with transaction.atomic():
        KeptUpload.objects.filter(pk__in=[k.pk for k in kept]).delete()
    services.delete_blobs(names=[k.sealed.blob for k in kept])


def purge_stale_kept(*, now: datetime | None = None) -> int:
    """Delete kept files whose retry never came (``TIPLINE_KEPT_UPLOAD_HOURS``)."""
    limit = (now or timezone.now()) - timedelta(hours=settings.TIPLINE_KEPT_UPLOAD_HOURS)
    stale = list(KeptUpload.objects.filter(created_at__lt=limit).values_list("pk", "blob"))
    with transaction.atomic():
        KeptUpload.objects.filter(pk__in=[pk for pk, _ in stale]).delete()
    services.delete_blobs(names=[blob for _, blob in stale])
    return len(stale)


def known_blobs(names: set[str]) -> set[str]:
    """Which of these blob names are kept files (the register's orphan sweep spares them)."""
    return set(KeptUpload.objects.filter(blob__in=names).values_list("blob", flat=True))
