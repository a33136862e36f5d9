"""The second factor's secrets at rest: never in clear in the database.

An authenticator's TOTP secret is encrypted under a key derived, per staff member, from
``TIPLINE_TWO_FACTOR_KEY`` (kept outside the database like the audit key), so a copy of
the database cannot produce codes and one person's secret cannot be copied onto another's
device. Recovery codes are checked, never shown again, so only a keyed digest of each is
stored: a copy of the database cannot even test guesses.

The sealed secret fits django-otp's 80-character ``key`` column: SecretBox output for a
20-byte secret is 60 bytes, 80 in base64 (the column never holds hex again).
"""

from __future__ import annotations

import base64

from django.conf import settings

from tipline.crypto import boxes

TOTP_SECRET_BYTES = 20
_TOTP_PURPOSE = b"tipline-totp"
_RECOVERY_PURPOSE = b"tipline-recovery"
_RECOVERY_DIGEST_BYTES = 10  # 16 characters of base32, the width of django-otp's token column


def seal_totp_secret(*, user_id: int, secret: bytes) -> str:
    return base64.b64encode(boxes.encrypt(_totp_key(user_id), secret)).decode()


def open_totp_secret(*, user_id: int, sealed: str) -> bytes:
    """The TOTP secret; :class:`~tipline.crypto.errors.DecryptionFailed` if it was changed or
    moved from another person's device."""
    return boxes.decrypt(_totp_key(user_id), base64.b64decode(sealed))


def is_sealed(key_column: str) -> bool:
    """Whether django-otp's key column holds a sealed secret (80 characters of base64), not
    the hex secret that django-otp writes."""
    return len(key_column) == 80 and not all(ch in "0123456789abcdefABCDEF" for ch in key_column)


def recovery_digest(*, user_id: int, code: str) -> str:
    """What is stored of a recovery code: its keyed digest, bound to its owner."""
    key = settings.TIPLINE_TWO_FACTOR_KEY
    digest = boxes.derive_key(
        key, purpose=_RECOVERY_PURPOSE, subject=f"{user_id}:{code}".encode(), size=_RECOVERY_DIGEST_BYTES
    )
    return base64.b32encode(digest).decode().lower()


def _totp_key(user_id: int) -> bytes:
    return boxes.derive_key(settings.TIPLINE_TWO_FACTOR_KEY, purpose=_TOTP_PURPOSE, subject=str(user_id).encode())
