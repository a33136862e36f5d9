from __future__ import annotations


class CryptoError(Exception):
    """Base class for every failure of this package."""


class DecryptionFailed(CryptoError):
    """Ciphertext was altered, truncated, or the key is wrong."""


class MalformedReceipt(CryptoError):
    """A receipt that is not 16 digits (after removing spaces and dashes)."""
