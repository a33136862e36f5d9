"""How case handling answers to changes of staff accounts (``tipline.accounts.hooks``),
wired once at start by :meth:`CasesConfig.ready`."""

from __future__ import annotations

from tipline.accounts import hooks
from tipline.accounts.models import Role, StaffUser
from tipline.cases.models import Exclusion
from tipline.register import keyring


def settle_keys(
    *, user: StaffUser, before: frozenset[str], after: frozenset[str], escrow_private_key: bytes | None
) -> dict[str, object]:
    """After a change of roles: the copies of keys the new roles do not give are destroyed,
    and a new supervisor receives every report's key from escrow, except the reports they
    are excluded from."""
    detail = keyring.drop_keys_for_roles(user=user, roles=after)
    if Role.SUPERVISOR in after - before and escrow_private_key is not None:
        detail |= keyring.grant_supervisor_keys(
            user=user,
            escrow_private_key=escrow_private_key,
            excluded_reports=lambda: list(Exclusion.objects.filter(user=user).values_list("report_id", flat=True)),
        )
    return detail


def connect() -> None:
    hooks.on_roles_changed(settle_keys)
