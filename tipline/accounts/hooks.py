"""Reactions of higher apps to changes of staff accounts.

``accounts`` knows staff, roles, two-factor devices and key pairs, and nothing above
it. Where a change here must be followed by a change in a domain (the report keys a
person holds after their roles change, or after their key pair is replaced), that
domain registers a handler here when it starts, the way ``tipline.jobs.registry``
lets apps register job kinds. Handlers run in the caller's transaction; what each
returns is merged into the audit entry of the change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from tipline.accounts.models import StaffUser


class RolesChanged(Protocol):
    def __call__(
        self, *, user: StaffUser, before: frozenset[str], after: frozenset[str], escrow_private_key: bytes | None
    ) -> dict[str, object]: ...


class KeyPairReplaced(Protocol):
    def __call__(self, *, user: StaffUser, escrow_private_key: bytes, public_key: bytes) -> dict[str, object]: ...


_roles_changed: dict[str, RolesChanged] = {}
_key_pair_replaced: dict[str, KeyPairReplaced] = {}


def _name(handler: Callable[..., object]) -> str:
    return f"{handler.__module__}.{handler.__qualname__}"


def on_roles_changed(handler: RolesChanged) -> RolesChanged:
    """Register ``handler(user=, before=, after=, escrow_private_key=)``: bring what the
    person holds in line with their new roles. ``escrow_private_key`` is the organisation's
    escrow key, unlocked by the acting admin, when a role that receives existing reports'
    keys was added (SUPERVISOR); otherwise None."""
    _roles_changed[_name(handler)] = handler
    return handler


def on_key_pair_replaced(handler: KeyPairReplaced) -> KeyPairReplaced:
    """Register ``handler(user=, escrow_private_key=, public_key=)``: re-seal to a new key pair."""
    _key_pair_replaced[_name(handler)] = handler
    return handler


def roles_changed(
    *, user: StaffUser, before: frozenset[str], after: frozenset[str], escrow_private_key: bytes | None
) -> dict[str, object]:
    detail: dict[str, object] = {}
    for handler in _roles_changed.values():
        detail |= handler(user=user, before=before, after=after, escrow_private_key=escrow_private_key)
    return detail


def key_pair_replaced(*, user: StaffUser, escrow_private_key: bytes, public_key: bytes) -> dict[str, object]:
    detail: dict[str, object] = {}
    for handler in _key_pair_replaced.values():
        detail |= handler(user=user, escrow_private_key=escrow_private_key, public_key=public_key)
    return detail
