"""Staff accounts, their key pairs, and the organisation's escrow key."""

from __future__ import annotations

from collections.abc import Iterable

import nacl.utils
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from tipline.accounts.exceptions import EscrowUnavailable, NoKeyPair, WrongPassword
from tipline.accounts.models import CONTENT_ROLES, EscrowGrant, Organisation, Role, RoleGrant, StaffKey, StaffUser
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


@transaction.atomic
def create_staff(
    *,
    username: str,
    password: str,
    roles: Iterable[Role],
    email: str = "",
    display_name: str = "",
    escrow_private_key: bytes | None = None,
    validate: bool = True,
) -> StaffUser:
    """Create a staff member; give a key pair to every role that can read reports.

    An admin also receives the escrow key, sealed to their public key, when the
    caller holds it (at set-up, or from an admin's unlocked session).
    """
    role_set = set(roles)
    user = StaffUser(username=username, email=email, display_name=display_name, is_staff=Role.ADMIN in role_set)
    if validate:
        validate_password(password, user)
    user.set_password(password)
    user.save()
    RoleGrant.objects.bulk_create([RoleGrant(user=user, role=role) for role in sorted(role_set)])
    if role_set & CONTENT_ROLES:
        public, private = keys.new_key_pair()
        _store_key(user, private, password)
        if Role.ADMIN in role_set:
            if escrow_private_key is None:
                raise EscrowUnavailable
            EscrowGrant.objects.create(user=user, sealed_escrow_key=boxes.seal(public, escrow_private_key))
    return user


def _store_key(user: StaffUser, private_key: bytes, password: str) -> StaffKey:
    wrapped = keys.wrap_private_key(private_key, password, settings.TIPLINE_KDF_COST)
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


@transaction.atomic
def change_password(*, user: StaffUser, old_password: str, new_password: str) -> None:
    """Change the password and re-wrap the private key under it."""
    if not user.check_password(old_password):
        raise WrongPassword
    validate_password(new_password, user)
    private = unlock_private_key(user=user, password=old_password) if hasattr(user, "key") else None
    user.set_password(new_password)
    user.save(update_fields=["password"])
    if private is not None:
        _store_key(user, private, new_password)


def escrow_private_key(*, admin: StaffUser, admin_private_key: bytes) -> bytes:
    try:
        grant = admin.escrow_grant
    except EscrowGrant.DoesNotExist:
        raise EscrowUnavailable from None
    return boxes.unseal(admin_private_key, bytes(grant.sealed_escrow_key))
