"""Reports held for an operator because their channel could not take them in whole.

The register keeps the original (sealed under the identity key) and the reason; the
console shows them to supervisors, who may retry or discard. Only the channel knows how
to read its originals again, so each channel app registers its retry here when it starts
(as the jobs registry does), and the console calls :func:`retry` without knowing the
channel apps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from tipline.accounts.models import StaffUser
from tipline.register.models import Quarantine, Report


class Retry(Protocol):
    def __call__(self, *, report: Report, by: StaffUser, report_key: bytes, identity_key: bytes) -> bool: ...


_retries: dict[str, Callable[..., bool]] = {}


def on_retry(kind: str, handler: Retry) -> None:
    """Let the channel app of ``kind`` read a held original again."""
    _retries[kind] = handler


# Held for what reading again cannot change: a delivery report (its quoted reply may carry
# a receipt) and a message left in the mailbox (only its headers were kept).
NOT_RETRIED = frozenset({Quarantine.DELIVERY_REPORT, Quarantine.LEFT_IN_MAILBOX})


def can_retry(report: Report) -> bool:
    return (
        bool(report.quarantine)
        and report.quarantine not in NOT_RETRIED
        and bool(report.source_blob)
        and report.channel.kind in _retries
    )


def retry(*, report: Report, by: StaffUser, report_key: bytes, identity_key: bytes) -> bool:
    """Read the original again with the current code; True when the report could now be
    taken in whole (its quarantine is lifted)."""
    handler = _retries.get(report.channel.kind)
    if handler is None:
        return False
    return handler(report=report, by=by, report_key=report_key, identity_key=identity_key)
