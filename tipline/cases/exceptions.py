from __future__ import annotations


class CaseError(Exception):
    status = 400


class NoAccess(CaseError):
    """This staff member holds no key to this report."""

    status = 403


class KeyLocked(CaseError):
    """The session holds no unlocked private key (logged out or expired)."""

    status = 403


class EmptyMessage(CaseError):
    status = 400
