from __future__ import annotations

from datetime import datetime


class AccountError(Exception):
    """Base class for refused account operations."""


class WrongPassword(AccountError):
    pass


class NoKeyPair(AccountError):
    """This staff member has no key pair, so cannot read reports."""


class EscrowUnavailable(AccountError):
    pass


class LastSupervisor(AccountError):
    """The change would leave no active supervisor."""


class AccountLocked(AccountError):
    """Too many failed log-in steps for this username; refused until ``until``."""

    def __init__(self, until: datetime) -> None:
        super().__init__(until)
        self.until = until


class WrongCode(AccountError):
    """The two-factor or recovery code does not match."""


class CodeTooSoon(AccountError):
    """The authenticator device is backing off after a wrong code; nothing was checked."""


class AlreadyEnrolled(AccountError):
    """The staff member already has a confirmed authenticator."""


class NotPermitted(AccountError):
    """The acting staff member may not do this."""


class ReasonRequired(AccountError):
    """A written reason is required for this action."""


class AdminNeedsEscrow(AccountError):
    """An administrator must hold the escrow key, and this person does not."""


class LastEscrowHolder(AccountError):
    """No other active administrator holds the escrow key: it would be lost."""
