"""Write and verify the hash-chained audit log."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from tipline.audit.exceptions import AuditChainBroken
from tipline.audit.models import AuditEntry

# The actor of what nobody did in person (the worker, a reporter, the retention rules), as
# stored in the sealed trail; pages show it translated (``actor_label``).
SYSTEM = "system"

GENESIS = "0" * 64
_PG_LOCK_KEY = 0x7469706C  # "tipl"


def _text_digest(text: str) -> str:
    # Keyed, so that once the text is removed nobody can confirm a guess of it.
    return hmac.new(settings.TIPLINE_AUDIT_KEY, b"free text:" + text.encode(), hashlib.sha256).hexdigest()


def free_text(text: str) -> dict[str, str]:
    """A free-text detail (a written reason) as an entry keeps it: the text, and its keyed
    digest, which alone enters the entry's hash. The text can then be removed with the
    report it is about (:func:`remove_free_text`) and the chain still verifies; while it is
    there, :func:`verify_chain` checks it against the digest."""
    return {"text": text, "sha256": _text_digest(text)}


def _free_texts_intact(detail: dict[str, Any]) -> bool:
    for value in detail.values():
        if isinstance(value, dict) and "sha256" in value:
            if set(value) - {"text", "sha256"}:
                return False
            if "text" in value and not hmac.compare_digest(_text_digest(str(value["text"])), str(value["sha256"])):
                return False
    return True


def _hashable(detail: dict[str, Any]) -> dict[str, Any]:
    return {
        key: {"sha256": value["sha256"]} if isinstance(value, dict) and "sha256" in value else value
        for key, value in detail.items()
    }


def remove_free_text(*, report_ref: str) -> int:
    """Remove the written reasons of a report's entries (when the report is destroyed);
    their digests stay, so the chain and its seals still verify. Returns how many entries."""
    changed = 0
    for entry in AuditEntry.objects.filter(report_ref=report_ref).only("pk", "detail"):
        detail = _hashable(entry.detail)  # what the hash covers: the digests without their texts
        if detail != entry.detail:
            AuditEntry.objects.filter(pk=entry.pk).update(detail=detail)
            changed += 1
    return changed


def _entry_hash(
    *,
    seq: int,
    at: str,
    actor_id: int | None,
    actor_name: str,
    action: str,
    report_ref: str,
    detail: dict[str, Any],
    prev_hash: str,
) -> str:
    payload = json.dumps(
        [seq, at, actor_id, actor_name, action, report_ref, _hashable(detail), prev_hash],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def entry_mac(entry_hash: str, key: bytes | None = None) -> str:
    """The keyed seal of one entry (its hash under ``TIPLINE_AUDIT_KEY``)."""
    return hmac.new(key or settings.TIPLINE_AUDIT_KEY, entry_hash.encode(), hashlib.sha256).hexdigest()


def record(
    *, action: str, actor: Any | None = None, report_ref: str = "", detail: dict[str, Any] | None = None
) -> AuditEntry:
    """Append one entry. Serialised by a transaction-scoped lock on PostgreSQL
    and by SQLite's single writer; never logs report content."""
    [entry] = _append(action=action, actor=actor, report_refs=[report_ref], detail=detail or {})
    return entry


def record_many(
    *, action: str, actor: Any | None = None, report_refs: list[str], detail: dict[str, Any] | None = None
) -> int:
    """Append one entry per report reference, chained in one transaction under one lock
    (a page of reports read at once); returns how many were written."""
    if not report_refs:
        return 0
    return len(_append(action=action, actor=actor, report_refs=report_refs, detail=detail or {}))


def _append(*, action: str, actor: Any | None, report_refs: list[str], detail: dict[str, Any]) -> list[AuditEntry]:
    """Chain one entry per reference after the last one, under the lock, in one transaction."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        last = AuditEntry.objects.order_by("-seq").only("seq", "entry_hash").first()
        seq = last.seq + 1 if last else 1
        prev_hash = last.entry_hash if last else GENESIS
        at = timezone.now()
        actor_name = actor.get_username() if actor is not None else SYSTEM
        entries = []
        for offset, report_ref in enumerate(report_refs):
            entry = AuditEntry(
                seq=seq + offset,
                at=at,
                actor=actor,
                actor_name=actor_name,
                action=action,
                report_ref=report_ref,
                detail=detail,
                prev_hash=prev_hash,
            )
            entry.entry_hash = _hash_of(entry)
            entry.entry_mac = entry_mac(entry.entry_hash)
            prev_hash = entry.entry_hash
            entries.append(entry)
        if len(entries) == 1:
            entries[0].save()
        else:
            AuditEntry.objects.bulk_create(entries)
    return entries


def _hash_of(entry: AuditEntry) -> str:
    return _entry_hash(
        seq=entry.seq,
        at=entry.at.isoformat(),
        actor_id=entry.actor_id,
        actor_name=entry.actor_name,
        action=entry.action,
        report_ref=entry.report_ref,
        detail=entry.detail,
        prev_hash=entry.prev_hash,
    )


def _all_entries(batch: int = 2000) -> Iterator[AuditEntry]:
    """Every entry in order, in pages keyed by ``seq`` (no server-side cursor left open)."""
    last = -1
    while True:
        page = list(AuditEntry.objects.filter(seq__gt=last).order_by("seq")[:batch])
        yield from page
        if len(page) < batch:
            return
        last = page[-1].seq


def chain_head() -> tuple[int, str] | None:
    """The latest entry's sequence number and hash: an anchor to keep outside the database."""
    last = AuditEntry.objects.order_by("-seq").only("seq", "entry_hash").first()
    return (last.seq, last.entry_hash) if last else None


def verify_chain(*, entries: Iterable[AuditEntry] | None = None, anchors: Iterable[tuple[int, str]] = ()) -> int:
    """Check every link, every entry's keyed seal, and that each anchor (seq, hash) kept
    outside still matches; return the number of entries or raise :class:`AuditChainBroken`.

    The seal is what a database writer cannot forge: they can rewrite entries and rebuild
    the plain hash chain after them, but not the HMACs under a key they do not have."""
    expected = dict(anchors)
    rows = entries if entries is not None else _all_entries()
    expected_prev, expected_seq, count = GENESIS, 1, 0
    for entry in rows:
        if entry.seq != expected_seq:
            raise AuditChainBroken(expected_seq, f"entry #{expected_seq} is missing or out of order")
        if entry.prev_hash != expected_prev:
            raise AuditChainBroken(entry.seq, "does not follow the previous entry")
        if _hash_of(entry) != entry.entry_hash:
            raise AuditChainBroken(entry.seq, "was altered")
        if not _free_texts_intact(entry.detail):
            raise AuditChainBroken(entry.seq, "has a written reason that was altered")
        if not hmac.compare_digest(entry_mac(entry.entry_hash), entry.entry_mac):
            raise AuditChainBroken(entry.seq, "is not sealed with the audit key (written or rebuilt outside Tipline)")
        if expected.pop(entry.seq, entry.entry_hash) != entry.entry_hash:
            raise AuditChainBroken(entry.seq, "differs from the anchor kept outside the database")
        expected_prev, expected_seq, count = entry.entry_hash, entry.seq + 1, count + 1
    if expected:
        first = min(expected)
        raise AuditChainBroken(first, "is missing: entries were deleted from the end of the chain")
    return count
