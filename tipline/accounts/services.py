"""Staff accounts, their key pairs, and the organisation's escrow key."""

from __future__ import annotations

from collections.abc import Iterable

import nacl.utils
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from tipline.accounts import hooks, lockout, two_factor
from tipline.accounts.exceptions import (
    AdminNeedsEscrow,
    EscrowUnavailable,
    LastEscrowHolder,
    LastSupervisor,
    NoKeyPair,
    NotPermitted,
    ReasonRequired,
    WrongPassword,
)
from tipline.accounts.models import (
    CASE_ROLES,
    CONTENT_ROLES,
    EscrowGrant,
    Organisation,
    Role,
    RoleGrant,
    StaffKey,
    StaffUser,
)
from tipline.audit import services as audit
from tipline.crypto import boxes, keys
from tipline.crypto.errors import DecryptionFailed
from tipline.crypto.kdf import SALT_BYTES


def get_organisation() -> Organisation:
    return Organisation.objects.get(pk=1)


@transaction.atomic
def create_organisation(*, name: str) -> tuple[Organisation, bytes]:
    """Create the organisation with a fresh escrow key pair; return the escrow private key
    so the caller can seal it to the first admin (it is never stored in clear)."""
    public, private = keys.new_key_pair()
    organisation = Organisation.objects.create(
        pk=1, name=name, escrow_public_key=public, receipt_salt=nacl.utils.random(SALT_BYTES)
    )
    return organisation, private


def create_staff(
    *,
    username: str,
    password: str,
    roles: Iterable[Role],
    email: str = "",
    display_name: str = "",
    escrow_private_key: bytes | None = None,
    validate: bool = True,
    by: StaffUser | None = None,
) -> StaffUser:
    """Create a staff member; give a key pair to every role that can read reports.

    An admin also receives the escrow key, sealed to their public key, when the
    caller holds it (at set-up, or from an admin's unlocked session). The password
    hash and the key wrapping (each a memory-hard derivation) are done before the
    transaction, so no database lock is held while they run.
    """
    role_set = set(roles)
    is_admin = Role.ADMIN in role_set
    # Admins configure channels, questionnaires and staff in the Django admin (content models are not there).
    user = StaffUser(
        username=username, email=email, display_name=display_name, is_staff=is_admin, is_superuser=is_admin
    )
    if validate:
        validate_password(password, user)
    wrapped, sealed_escrow = None, None
    if role_set & CONTENT_ROLES:
        if is_admin and escrow_private_key is None:
            raise EscrowUnavailable
        public, private = keys.new_key_pair()
        wrapped = keys.wrap_private_key(private, password, settings.TIPLINE_KDF_COST)
        if is_admin and escrow_private_key is not None:
            sealed_escrow = boxes.seal(public, escrow_private_key)
    user.set_password(password)
    with transaction.atomic():
        user.save()
        RoleGrant.objects.bulk_create([RoleGrant(user=user, role=role) for role in sorted(role_set)])
        if wrapped is not None:
            _save_key(user, wrapped)
        if sealed_escrow is not None:
            EscrowGrant.objects.create(user=user, sealed_escrow_key=sealed_escrow)
        # Audited wherever it happens (the command line, set-up, the demo seed), by whom if known.
        audit.record(
            action="staff.created",
            actor=by,
            detail={"user": username, "roles": sorted(role_set), "key_pair": wrapped is not None},
        )
    return user


def _save_key(user: StaffUser, wrapped: keys.WrappedKeyPair) -> StaffKey:
    key, _ = StaffKey.objects.update_or_create(
        user=user,
        defaults={
            "public_key": wrapped.public_key,
            "wrapped_private_key": wrapped.wrapped_private_key,
            "salt": wrapped.salt,
            "kdf_ops": wrapped.cost.ops,
            "kdf_mem": wrapped.cost.mem,
        },
    )
    user.key = key  # the instance in hand sees the new wrapping too
    return key


def unlock_private_key(*, user: StaffUser, password: str) -> bytes:
    """Unwrap the staff member's private key with their password (one Argon2id)."""
    try:
        stored = user.key
    except StaffKey.DoesNotExist:
        raise NoKeyPair from None
    try:
        return keys.unwrap_private_key(stored.as_wrapped(), password)
    except DecryptionFailed:
        raise WrongPassword from None


def authenticate_staff(*, username: str, password: str, client_tag: str) -> StaffUser:
    """The password step of a log-in, under the lock-out of this username from this client.

    Raises :class:`AccountLocked` (before any password check while locked, or
    when this failure locks) or :class:`WrongPassword`; an unknown username
    fails exactly like a wrong password.
    """
    lockout.take_attempt(
        username=username, client_tag=client_tag
    )  # counted before the slow check: bursts are limited too
    user = authenticate(None, username=username, password=password)
    if not isinstance(user, StaffUser):
        known = StaffUser.objects.filter(username=username).first()
        lockout.settle_attempt(username=username, client_tag=client_tag, right=False, user=known)
        raise WrongPassword
    lockout.settle_attempt(username=username, client_tag=client_tag, right=True, user=user)
    return user


def change_password(*, user: StaffUser, old_password: str, new_password: str) -> None:
    """Change the password and re-wrap the private key under it (the key itself is unchanged,
    so report grants and an unlocked session keep working). The derivations run before
    the transaction that writes the new hash and the new wrapping together."""
    if not user.check_password(old_password):
        raise WrongPassword
    validate_password(new_password, user)
    private = unlock_private_key(user=user, password=old_password) if hasattr(user, "key") else None
    wrapped = keys.wrap_private_key(private, new_password, settings.TIPLINE_KDF_COST) if private else None
    user.set_password(new_password)
    user.password_must_change = False
    with transaction.atomic():
        user.save(update_fields=["password", "password_must_change"])
        if wrapped is not None:
            _save_key(user, wrapped)
        audit.record(action="staff.password_changed", actor=user)


def escrow_private_key(*, admin: StaffUser, admin_private_key: bytes) -> bytes:
    """Unseal the organisation's escrow private key with an admin's private key."""
    try:
        grant = admin.escrow_grant
        return boxes.unseal(admin_private_key, bytes(grant.sealed_escrow_key))
    except (EscrowGrant.DoesNotExist, DecryptionFailed):
        raise EscrowUnavailable from None


def _require_admin(user: StaffUser) -> None:
    if not user.is_active or not user.has_role(Role.ADMIN):
        raise NotPermitted


@transaction.atomic
def grant_escrow(*, to: StaffUser, by: StaffUser, admin_private_key: bytes, make_admin: bool = False) -> None:
    """Seal the escrow private key to another admin, from an admin's unlocked session.

    With ``make_admin``, an active staff member who is not an admin yet receives the
    administrator role in the same step. This is how an existing account becomes an
    admin (the Django admin refuses the role to anyone without the escrow key), so
    there is never an admin who cannot open the escrow key.
    """
    _require_admin(by)
    promote = make_admin and not to.has_role(Role.ADMIN)
    if promote and (to.pk == by.pk or not to.is_active):
        raise NotPermitted
    if not promote:
        _require_admin(to)
    escrow = escrow_private_key(admin=by, admin_private_key=admin_private_key)
    try:
        public = bytes(to.key.public_key)
    except StaffKey.DoesNotExist:
        raise NoKeyPair from None
    EscrowGrant.objects.update_or_create(user=to, defaults={"sealed_escrow_key": boxes.seal(public, escrow)})
    audit.record(action="escrow.granted", actor=by, detail={"to": to.get_username()})
    if promote:
        before = to.roles
        RoleGrant.objects.create(user=to, role=Role.ADMIN)
        settle_roles(user=to, before=before, by=by)


def check_role_change(*, user: StaffUser, before: frozenset[str], after: frozenset[str]) -> None:
    """Refuse a change of roles that would leave an admin without the escrow key
    (:class:`AdminNeedsEscrow`), lose the escrow key altogether (:class:`LastEscrowHolder`),
    give a role that reads reports to someone without a key pair (:class:`NoKeyPair`: it is
    made from their password, with ``tipline createstaff``), or leave no active supervisor
    (:class:`LastSupervisor`: nobody could assign, and new supervisors could not be given
    the reports' keys)."""
    if (after - before) & CASE_ROLES and user.pk and not StaffKey.objects.filter(user=user).exists():
        raise NoKeyPair
    other_supervisors = RoleGrant.objects.filter(role=Role.SUPERVISOR, user__is_active=True).exclude(user=user)
    if Role.SUPERVISOR in before - after and not other_supervisors.exists():
        raise LastSupervisor
    has_escrow = EscrowGrant.objects.filter(user=user).exists()
    if Role.ADMIN in after - before and not has_escrow:
        raise AdminNeedsEscrow
    if Role.ADMIN in before - after and has_escrow:
        others = EscrowGrant.objects.exclude(user=user).filter(user__is_active=True, user__role_grants__role=Role.ADMIN)
        if not others.exists():
            raise LastEscrowHolder


def settle_roles(
    *, user: StaffUser, before: frozenset[str], by: StaffUser, admin_private_key: bytes | None = None
) -> None:
    """Bring what follows from a person's roles in line after their role grants were saved,
    in the caller's transaction; ``before`` is what they held until then.

    - The Django admin (``is_staff``, ``is_superuser``) follows the ADMIN role, always.
    - Keys go with the roles that use them: the escrow key with ADMIN; every report and
      identity key when no case role (handler, supervisor) is left; those held only as a
      supervisor when SUPERVISOR goes (see ``hooks.roles_changed``). A new supervisor
      receives every existing report's key from the escrow key, which the acting admin
      unlocks with ``admin_private_key`` (:class:`EscrowUnavailable` without it).
    - A change is audited as ``staff.roles_changed`` with the roles before and after.

    Nobody changes their own roles (:class:`NotPermitted`); see :func:`check_role_change`
    for the rules about the escrow key.
    """
    after = user.roles
    if after != before:
        if user.pk == by.pk:
            raise NotPermitted
        check_role_change(user=user, before=before, after=after)
    is_admin = Role.ADMIN in after
    if (user.is_staff, user.is_superuser) != (is_admin, is_admin):
        user.is_staff = user.is_superuser = is_admin
        user.save(update_fields=["is_staff", "is_superuser"])
    if after == before:
        return
    escrow = None
    if Role.SUPERVISOR in after - before:
        if admin_private_key is None:
            raise EscrowUnavailable
        escrow = escrow_private_key(admin=by, admin_private_key=admin_private_key)
    detail: dict[str, object] = {"user": user.get_username(), "before": sorted(before), "after": sorted(after)}
    detail |= _drop_escrow_beyond(user, after)
    detail |= hooks.roles_changed(user=user, before=before, after=after, escrow_private_key=escrow)
    audit.record(action="staff.roles_changed", actor=by, detail=detail)


def _drop_escrow_beyond(user: StaffUser, roles: frozenset[str]) -> dict[str, object]:
    if Role.ADMIN not in roles and EscrowGrant.objects.filter(user=user).delete()[0]:
        return {"escrow_key_removed": True}
    return {}


def record_activation(*, user: StaffUser, by: StaffUser) -> None:
    """Audit that an admin activated or deactivated an account (its ``is_active`` is saved
    by the caller, in the same transaction). Nobody does this to their own account."""
    if user.pk == by.pk:
        raise NotPermitted
    action = "staff.activated" if user.is_active else "staff.deactivated"
    audit.record(action=action, actor=by, detail={"user": user.get_username()})


def restore_access(
    *,
    user: StaffUser,
    new_password: str,
    reason: str,
    by: StaffUser,
    admin_private_key: bytes,
    reset_two_factor: bool = False,
) -> None:
    """Give a staff member who lost their password a new key pair and their report access back.

    An admin's private key opens the escrow key; every report key the person
    held is unsealed from that report's escrow grant and sealed to the new
    public key. Identity grants are restored the same way only where an escrow
    identity grant exists; by design identity keys are sealed only to
    supervisors (no escrow copy), so a supervisor's identity grants cannot be
    restored: another supervisor must grant them again. Grants that cannot be
    restored are deleted (they were sealed to a key that no longer exists).

    The new password is temporary: the person must change it at the next
    log-in. With ``reset_two_factor`` their authenticator and recovery codes
    are removed too (a lost phone), so they enrol again. Audited as
    ``escrow.restore_access`` with the admin as actor and the written reason.
    The password hash and the new key's wrapping are done before the transaction
    that writes everything together.
    """
    _require_admin(by)
    if user.pk == by.pk:
        raise NotPermitted
    if not reason.strip():
        raise ReasonRequired
    escrow = escrow_private_key(admin=by, admin_private_key=admin_private_key)
    validate_password(new_password, user)
    detail: dict[str, object] = {"user": user.get_username(), "reason": reason.strip()}
    public, wrapped = None, None
    if user.roles & CONTENT_ROLES or hasattr(user, "key"):
        public, private = keys.new_key_pair()
        wrapped = keys.wrap_private_key(private, new_password, settings.TIPLINE_KDF_COST)
    user.set_password(new_password)
    user.password_must_change = True
    with transaction.atomic():
        if public is not None and wrapped is not None:
            _save_key(user, wrapped)
            detail |= hooks.key_pair_replaced(user=user, escrow_private_key=escrow, public_key=public)
            EscrowGrant.objects.filter(user=user).update(sealed_escrow_key=boxes.seal(public, escrow))
        user.save(update_fields=["password", "password_must_change"])
        lockout.clear_failures(user=user)
        if reset_two_factor:
            two_factor.reset_two_factor(user=user, by=by, reason=reason.strip())
        audit.record(action="escrow.restore_access", actor=by, detail=detail)
