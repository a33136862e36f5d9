"""Reports held in quarantine because their channel could not take them in whole (a mail
too large or unreadable): a supervisor reads the original again with the current code,
or discards the report. Both are audited."""

from __future__ import annotations

from tipline.accounts.models import StaffUser
from tipline.audit import services as audit
from tipline.cases.exceptions import InvalidTransition, NoAccess
from tipline.cases.permissions import Action, require
from tipline.cases.services import retention
from tipline.cases.services.content import report_key_for
from tipline.register import keyring, quarantine
from tipline.register import services as register
from tipline.register.exceptions import KeyNotHeld, NoLongerHeld
from tipline.register.models import Report


def can_read_again(report: Report) -> bool:
    """Whether reading the original again could take it in (not a delivery report, nor a
    mail left in the mailbox, of which only the headers were kept)."""
    return quarantine.can_retry(report)


def can_discard(report: Report) -> bool:
    """Whether it may be discarded (not on legal hold, nothing of its reporter's own yet)."""
    return retention.can_discard(report)


def retry_held(*, report: Report, by: StaffUser, private_key: bytes) -> bool:
    """True when the original could now be taken in whole (the quarantine is lifted)."""
    require(by, Action.HELD_ORIGINAL, report)
    if not quarantine.can_retry(report):
        raise InvalidTransition
    report_key = report_key_for(report=report, user=by, private_key=private_key)
    try:
        identity_key = keyring.open_identity_key(report=report, user=by, private_key=private_key)
    except KeyNotHeld:
        raise NoAccess from None
    try:
        return quarantine.retry(report=report, by=by, report_key=report_key, identity_key=identity_key)
    except NoLongerHeld:
        raise InvalidTransition from None


def read_original(*, report: Report, by: StaffUser, private_key: bytes) -> bytes:
    """The original a channel received, for a supervisor; audited (it names the sender)."""
    require(by, Action.HELD_ORIGINAL, report)
    if not report.source_blob:
        raise InvalidTransition
    try:
        identity_key = keyring.open_identity_key(report=report, user=by, private_key=private_key)
    except KeyNotHeld:
        raise NoAccess from None
    data = register.read_source(report=report, identity_key=identity_key)
    audit.record(action="report.original_read", actor=by, report_ref=report.reference)
    return data


def discard_held(*, report: Report, by: StaffUser) -> None:
    require(by, Action.HELD_ORIGINAL, report)
    if not retention.discard_held(report=report, by=by):
        raise InvalidTransition
