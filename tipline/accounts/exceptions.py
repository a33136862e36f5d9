from __future__ import annotations


class AccountError(Exception):
    """Base class for refused account operations."""


class WrongPassword(AccountError):
    pass


class NoKeyPair(AccountError):
    """This staff member has no key pair, so cannot read reports."""


class EscrowUnavailable(AccountError):
    pass
