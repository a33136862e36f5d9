"""Who may do what in the console: one table, checked in services and views alike."""

from __future__ import annotations

from enum import StrEnum

from tipline.accounts.models import CASE_ROLES, Role, StaffUser
from tipline.cases.exceptions import NotAllowed
from tipline.cases.models import Exclusion
from tipline.register import keyring
from tipline.register.models import DisclosureRequest, Report


class Action(StrEnum):
    VIEW_QUEUE = "view_queue"
    READ_CONTENT = "read_content"
    ACKNOWLEDGE = "acknowledge"
    CHANGE_STATUS = "change_status"
    CLOSE = "close"
    REPLY = "reply"
    NOTE = "note"
    LABEL = "label"
    LINK = "link"
    EXPORT_PDF = "export_pdf"
    REQUEST_IDENTITY = "request_identity"
    ASSIGN = "assign"
    EXCLUDE = "exclude"
    LEGAL_HOLD = "legal_hold"
    DECIDE_IDENTITY = "decide_identity"
    EXPORT_CSV = "export_csv"
    VIEW_AUDIT = "view_audit"
    ESCROW_READ = "escrow_read"
    DECIDE_EXCLUSION = "decide_exclusion"
    RESTORE_ACCESS = "restore_access"
    HELD_ORIGINAL = "held_original"


_CASE_WORK = set(CASE_ROLES)
# Actions on one report that need the report key, i.e. a grant, and no exclusion.
_WITH_KEY = {
    Action.READ_CONTENT: _CASE_WORK,
    Action.ACKNOWLEDGE: _CASE_WORK,
    Action.CHANGE_STATUS: _CASE_WORK,
    Action.CLOSE: _CASE_WORK,
    Action.REPLY: _CASE_WORK,
    Action.NOTE: _CASE_WORK,
    Action.LABEL: _CASE_WORK,
    Action.LINK: _CASE_WORK,
    Action.EXPORT_PDF: _CASE_WORK,
    Action.REQUEST_IDENTITY: {Role.HANDLER},
    Action.ASSIGN: {Role.SUPERVISOR},
    Action.DECIDE_IDENTITY: {Role.SUPERVISOR},
    # Retrying or discarding a report held in quarantine: its original names the sender.
    Action.HELD_ORIGINAL: {Role.SUPERVISOR},
}
# Actions that need a role only (metadata or configuration).
_ROLE_ONLY = {
    Action.VIEW_QUEUE: {Role.HANDLER, Role.SUPERVISOR, Role.ADMIN},
    Action.EXCLUDE: {Role.SUPERVISOR},
    Action.LEGAL_HOLD: {Role.SUPERVISOR},
    Action.EXPORT_CSV: {Role.SUPERVISOR},
    Action.VIEW_AUDIT: {Role.SUPERVISOR},
    Action.ESCROW_READ: {Role.ADMIN},
    Action.DECIDE_EXCLUSION: {Role.SUPERVISOR},
    Action.RESTORE_ACCESS: {Role.ADMIN},
}


def roles_of(user: StaffUser) -> frozenset[str]:
    cached: frozenset[str] | None = getattr(user, "_tipline_roles", None)
    if cached is None:
        cached = user.roles if user.is_active else frozenset()
        user._tipline_roles = cached  # type: ignore[attr-defined]
    return cached


def is_excluded(user: StaffUser, report: Report) -> bool:
    return Exclusion.objects.filter(report=report, user=user).exists()


def has_key(user: StaffUser, report: Report) -> bool:
    return keyring.holds_report_key(report=report, user=user)


def may_read_content(user: StaffUser) -> bool:
    """True while the person's current roles let them read report content at all.

    Checked before any report key is unsealed: a key grant is only the means, the
    role is the right (a channel recipient without a content role, or a handler
    whose role was removed, may still hold grants).
    """
    return bool(roles_of(user) & _WITH_KEY[Action.READ_CONTENT])


def may_open_identity(user: StaffUser, report: Report) -> bool:
    """Identities are for supervisors, and for a handler whose request a supervisor approved."""
    if not allowed(user, Action.READ_CONTENT, report):
        return False
    if Role.SUPERVISOR in roles_of(user):
        return True
    return DisclosureRequest.objects.filter(
        report=report, requested_by=user, state=DisclosureRequest.State.APPROVED
    ).exists()


def allowed(user: StaffUser, action: Action, report: Report | None = None) -> bool:
    """True when ``user`` may do ``action`` (on ``report`` where the action concerns one)."""
    roles = roles_of(user)
    if action in _ROLE_ONLY:
        if not roles & _ROLE_ONLY[action]:
            return False
        return report is None or not is_excluded(user, report)
    if not roles & _WITH_KEY[action] or report is None or report.is_purged:
        return False
    return has_key(user, report) and not is_excluded(user, report)


def require(user: StaffUser, action: Action, report: Report | None = None) -> None:
    if not allowed(user, action, report):
        raise NotAllowed(action)
