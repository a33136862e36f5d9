"""The keyring: the one module that seals, opens, re-seals and drops report and identity keys.

Every sealed copy of a key is a grant row (:class:`ReportKeyGrant`,
:class:`IdentityKeyGrant`). A report key is sealed at submission to the escrow
key, to every supervisor and to the channel's recipients who may read reports;
later to an assigned handler. An identity key is sealed only to supervisors, and
to a handler once a supervisor approves a written request. Nothing else in
Tipline reads or writes a grant: submission, assignment, exclusion, disclosure,
restore access, a change of roles and the purge all come through here.

Callers check permissions (may this person act on this report now?) before they
call; the keyring answers only whether a key is held and opens it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from django.db.models import Exists, F, OuterRef, QuerySet, Subquery

from tipline.accounts.models import CASE_ROLES, Role, StaffKey, StaffUser
from tipline.crypto import boxes
from tipline.crypto.errors import DecryptionFailed
from tipline.register.exceptions import IdentityNotReceivable, KeyNotHeld
from tipline.register.models import Channel, GrantReason, IdentityKeyGrant, Report, ReportKeyGrant

_Grant = TypeVar("_Grant", ReportKeyGrant, IdentityKeyGrant)

# ---------------------------------------------------------------- a new report


def _supervisor_keys() -> list[tuple[int, bytes]]:
    keys = StaffKey.objects.filter(user__is_active=True, user__role_grants__role=Role.SUPERVISOR).distinct()
    return [(user_id, bytes(key)) for user_id, key in keys.values_list("user_id", "public_key")]


def _reader_keys(channel: Channel, supervisors: list[tuple[int, bytes]]) -> dict[int, tuple[bytes, GrantReason]]:
    """user id → (public key, why) for every supervisor (who assign, so must hold the key)
    and the channel's recipients who may read reports."""
    readers: dict[int, tuple[bytes, GrantReason]] = {
        user_id: (key, GrantReason.SUPERVISOR) for user_id, key in supervisors
    }
    # A recipient without a case role (an editor, a call taker) is not given the key.
    recipients = StaffKey.objects.filter(
        user__is_active=True, user__role_grants__role__in=CASE_ROLES, user__channels=channel
    ).distinct()
    for user_id, key in recipients.values_list("user_id", "public_key"):
        known = readers.get(user_id)
        readers[user_id] = (bytes(key), (known[1] if known else GrantReason(0)) | GrantReason.RECIPIENT)
    return readers


def identity_can_be_received() -> bool:
    """Whether an identity given now could ever be read: it is sealed to supervisors only."""
    return StaffKey.objects.filter(user__is_active=True, user__role_grants__role=Role.SUPERVISOR).exists()


def seal_new_keys(
    *, channel: Channel, report_key: bytes, escrow_public_key: bytes, identity_key: bytes = b""
) -> tuple[list[ReportKeyGrant], list[IdentityKeyGrant]]:
    """Seal a new report's key to the escrow key, every supervisor and the channel's
    readers, and its reporter's identity key (if any) to every supervisor only.

    The rows are returned unsaved (sealing runs before the submission's transaction);
    :func:`store_new_grants` writes them. Raises :class:`IdentityNotReceivable` when an
    identity key is given and there is nobody to seal it to: an identity sealed to nobody
    could never be read.
    """
    supervisors = _supervisor_keys()  # read once for both keys
    identity_grants = [
        IdentityKeyGrant(
            user_id=user_id, sealed_key=boxes.seal(public_key, identity_key), reasons=GrantReason.SUPERVISOR
        )
        for user_id, public_key in (supervisors if identity_key else [])
    ]
    if identity_key and not identity_grants:
        raise IdentityNotReceivable
    report_grants = [
        ReportKeyGrant(user=None, sealed_key=boxes.seal(escrow_public_key, report_key), reasons=GrantReason.ESCROW)
    ]
    report_grants += [
        ReportKeyGrant(user_id=user_id, sealed_key=boxes.seal(public_key, report_key), reasons=reasons)
        for user_id, (public_key, reasons) in _reader_keys(channel, supervisors).items()
    ]
    return report_grants, identity_grants


def store_new_grants(
    *, report: Report, report_grants: list[ReportKeyGrant], identity_grants: list[IdentityKeyGrant]
) -> None:
    """Write the grants sealed for a new report (in the submission's transaction)."""
    for grant in report_grants:
        grant.report = report
    for identity_grant in identity_grants:
        identity_grant.report = report
    ReportKeyGrant.objects.bulk_create(report_grants)
    IdentityKeyGrant.objects.bulk_create(identity_grants)


# ---------------------------------------------------------------- who holds what


def holds_report_key(*, report: Report, user: StaffUser) -> bool:
    return ReportKeyGrant.objects.filter(report=report, user=user).exists()


def holds_identity_key(*, report: Report, user: StaffUser) -> bool:
    return IdentityKeyGrant.objects.filter(report=report, user=user).exists()


def report_key_held_by(*, user: StaffUser) -> Exists:
    """A condition on reports (``Report.objects.filter(...)``): ``user`` holds its key."""
    return Exists(ReportKeyGrant.objects.filter(report=OuterRef("pk"), user=user))


def report_key_grant_of(*, user: StaffUser) -> Subquery:
    """``user``'s grant of a report's key (its id, or null), for ``Report.objects.annotate``:
    the condition of :func:`report_key_held_by` as a scalar subquery, which PostgreSQL
    checks row by row. That is faster where few reports are looked at (a count of the new
    or the overdue, a few hundred), where a semi-join would read every grant the person
    holds; slower where many are."""
    return Subquery(ReportKeyGrant.objects.filter(report=OuterRef("pk"), user=user).values("pk")[:1])


# ---------------------------------------------------------------- opening


def _unseal(grant: ReportKeyGrant | IdentityKeyGrant | None, private_key: bytes) -> bytes:
    """The one unseal-or-refuse step: no grant, or one that does not open, is :class:`KeyNotHeld`."""
    if grant is None:
        raise KeyNotHeld
    try:
        return boxes.unseal(private_key, bytes(grant.sealed_key))
    except DecryptionFailed:
        raise KeyNotHeld from None


def open_report_key(*, report: Report, user: StaffUser, private_key: bytes) -> bytes:
    """Open the report key sealed to ``user`` with their unlocked private key."""
    return _unseal(ReportKeyGrant.objects.filter(report=report, user=user).first(), private_key)


def open_report_keys(
    *, reports: QuerySet[Report], user: StaffUser, private_key: bytes, fields: Iterable[str]
) -> list[tuple[Report, bytes]]:
    """Several reports (a page of the queue) with their keys sealed to ``user``, read in one
    query with only ``fields`` of each report; a report whose grant is missing or does not
    open is left out."""
    rows = list(
        reports.annotate(
            sealed_report_key=Subquery(
                ReportKeyGrant.objects.filter(report=OuterRef("pk"), user=user).values("sealed_key")[:1]
            )
        )
        .filter(sealed_report_key__isnull=False)
        .only(*fields)
    )
    try:
        keys = boxes.unseal_each(private_key, {row.pk: bytes(row.sealed_report_key) for row in rows})
    except DecryptionFailed:  # not a private key at all
        return []
    return [(row, keys[row.pk]) for row in rows if row.pk in keys]


def open_report_key_with_escrow(*, report: Report, escrow_private_key: bytes) -> bytes:
    """Open the report key from its escrow copy (an admin's audited escrow read)."""
    return _unseal(ReportKeyGrant.objects.filter(report=report, user=None).first(), escrow_private_key)


def open_identity_key(*, report: Report, user: StaffUser, private_key: bytes) -> bytes:
    """Open the identity key sealed to ``user`` (a supervisor, or a handler after approval)."""
    return _unseal(IdentityKeyGrant.objects.filter(report=report, user=user).first(), private_key)


# ---------------------------------------------------------------- giving and taking away


def _public_key(user: StaffUser) -> bytes:
    try:
        return bytes(user.key.public_key)
    except StaffKey.DoesNotExist:
        raise KeyNotHeld from None


def _give(
    model: type[_Grant], *, report_id: int, user: StaffUser, key: bytes, public_key: bytes, reason: GrantReason
) -> None:
    """Seal ``key`` to ``user`` for ``reason``: a new copy, or one more reason for theirs."""
    _, created = model.objects.get_or_create(
        report_id=report_id, user=user, defaults={"sealed_key": boxes.seal(public_key, key), "reasons": reason}
    )
    if not created:
        model.objects.filter(report_id=report_id, user=user).update(reasons=F("reasons").bitor(reason))


def grant_report_key(*, report: Report, user: StaffUser, report_key: bytes) -> None:
    """Seal an open report key to another staff member (an assignment)."""
    _give(
        ReportKeyGrant,
        report_id=report.pk,
        user=user,
        key=report_key,
        public_key=_public_key(user),
        reason=GrantReason.ASSIGNMENT,
    )


def grant_identity_key(*, report: Report, user: StaffUser, identity_key: bytes) -> None:
    """Seal an open identity key to a handler (an approved disclosure request)."""
    _give(
        IdentityKeyGrant,
        report_id=report.pk,
        user=user,
        key=identity_key,
        public_key=_public_key(user),
        reason=GrantReason.DISCLOSURE,
    )


def drop_keys(*, report: Report, user: StaffUser) -> None:
    """Destroy ``user``'s copies of the report and identity keys (an exclusion)."""
    ReportKeyGrant.objects.filter(report=report, user=user).delete()
    IdentityKeyGrant.objects.filter(report=report, user=user).delete()


def drop_all_keys(*, report: Report) -> None:
    """Destroy every copy of a report's keys, escrow included (the purge): the content
    can never be opened again."""
    ReportKeyGrant.objects.filter(report=report).delete()
    IdentityKeyGrant.objects.filter(report=report).delete()


def _withdraw(model: type[_Grant], user: StaffUser, reasons: GrantReason) -> int:
    """Take ``reasons`` away from ``user``'s copies; destroy the copies left with none."""
    mask = ~reasons & 0x7FFF
    model.objects.filter(user=user).update(reasons=F("reasons").bitand(mask))
    return model.objects.filter(user=user, reasons=0).delete()[0]


def drop_keys_for_roles(*, user: StaffUser, roles: frozenset[str]) -> dict[str, object]:
    """After a change of roles, destroy exactly the copies ``roles`` would not give: all of
    them when no case role is left; those held only as a supervisor when SUPERVISOR goes
    (a handler keeps what they were assigned, receive as a channel recipient, or were
    disclosed). Returns what was removed, for the audit entry."""
    dropped: dict[str, object] = {}
    gone = GrantReason(0) if roles & CASE_ROLES else ~GrantReason(0)
    if Role.SUPERVISOR not in roles:
        gone |= GrantReason.SUPERVISOR
    if not gone:
        return dropped
    if removed := _withdraw(ReportKeyGrant, user, gone):
        dropped["report_keys_removed"] = removed
    if removed := _withdraw(IdentityKeyGrant, user, gone):
        dropped["identity_keys_removed"] = removed
    return dropped


def grant_supervisor_keys(
    *, user: StaffUser, escrow_private_key: bytes, excluded_reports: Callable[[], Iterable[int]]
) -> dict[str, object]:
    """A new supervisor receives every live report's key, sealed from its escrow copy (an
    admin's unlocked escrow key), except the reports they are excluded from. Identity keys
    have no escrow copy by design: another supervisor's approval is the only way to them.
    Returns what was given, for the audit entry.

    Every live report's row is locked first (in the caller's transaction), the row an
    exclusion or a purge locks too, and only then are the exclusions read: an exclusion
    committed meanwhile is seen, and one made later destroys the copy given here."""
    public_key = _public_key(user)
    live = list(
        Report.objects.select_for_update().filter(purged_at__isnull=True).order_by("pk").values_list("pk", flat=True)
    )
    excluded = set(excluded_reports())
    escrowed = ReportKeyGrant.objects.filter(user=None, report_id__in=live).values_list("report_id", "sealed_key")
    given = 0
    for report_id, sealed in escrowed.iterator(chunk_size=500):
        if report_id in excluded:
            continue
        report_key = _unseal_escrow(bytes(sealed), escrow_private_key)
        _give(
            ReportKeyGrant,
            report_id=report_id,
            user=user,
            key=report_key,
            public_key=public_key,
            reason=GrantReason.SUPERVISOR,
        )
        given += 1
    return {"report_keys_from_escrow": given}


def grant_report_key_from_escrow(
    *, report: Report, user: StaffUser, escrow_private_key: bytes, reasons: GrantReason
) -> bool:
    """Seal a report's key to ``user`` from its escrow copy, for ``reasons`` (an admin lifting
    an exclusion). Whether a copy was given (not when ``reasons`` is empty)."""
    if not reasons:
        return False
    sealed = ReportKeyGrant.objects.filter(report=report, user=None).values_list("sealed_key", flat=True).first()
    if sealed is None:
        raise KeyNotHeld
    report_key = _unseal_escrow(bytes(sealed), escrow_private_key)
    public_key = _public_key(user)
    _give(ReportKeyGrant, report_id=report.pk, user=user, key=report_key, public_key=public_key, reason=reasons)
    return True


def _unseal_escrow(sealed: bytes, escrow_private_key: bytes) -> bytes:
    try:
        return boxes.unseal(escrow_private_key, bytes(sealed))
    except DecryptionFailed:
        raise KeyNotHeld from None


# ---------------------------------------------------------------- restoring access from escrow


def _reseal(model: type[_Grant], user: StaffUser, escrow: bytes, public: bytes) -> tuple[list[int], int]:
    """Re-seal the user's grants of ``model`` from the escrow copies; delete those without one.

    Returns the ids of the re-sealed grants and how many were lost. A failure
    to open an escrow copy raises (and rolls everything back) rather than
    deleting anything.
    """
    grants = list(model.objects.select_for_update().filter(user=user))
    escrowed = dict(
        model.objects.filter(report_id__in=[g.report_id for g in grants], user=None).values_list(
            "report_id", "sealed_key"
        )
    )
    restored = [g for g in grants if g.report_id in escrowed]
    for grant in restored:
        grant.sealed_key = boxes.seal(public, boxes.unseal(escrow, bytes(escrowed[grant.report_id])))
    model.objects.bulk_update(restored, ["sealed_key"])
    lost = [g.pk for g in grants if g.report_id not in escrowed]
    model.objects.filter(pk__in=lost).delete()
    return [g.pk for g in restored], len(lost)


def reseal_from_escrow(*, user: StaffUser, escrow_private_key: bytes, public_key: bytes) -> dict[str, object]:
    """Seal every key ``user`` held to their new public key, from the escrow copies (restore
    access after a lost password). Identity keys have no escrow copy by design, so they
    are lost and counted. Returns what happened, for the audit entry."""
    restored, lost = _reseal(ReportKeyGrant, user, escrow_private_key, public_key)
    references = sorted(ReportKeyGrant.objects.filter(pk__in=restored).values_list("report__reference", flat=True))
    identity_restored, identity_lost = _reseal(IdentityKeyGrant, user, escrow_private_key, public_key)
    return {
        "reports": references,
        "reports_lost": lost,
        "identity_grants": len(identity_restored),
        "identity_grants_lost": identity_lost,
    }
