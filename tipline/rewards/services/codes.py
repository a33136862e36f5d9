"""Codes a reporter is given (cash claim codes, commendation codes): random, shown to them,
stored only as keyed digests under ``TIPLINE_REWARDS_KEY``; and the PIN's Argon2id hash."""

from __future__ import annotations

import base64
import hmac
import secrets

from django.conf import settings

from tipline.crypto import boxes, kdf

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648 base32


def new_code(nbytes: int) -> str:
    """``nbytes`` random bytes in base32, grouped by four for reading aloud and typing."""
    text = base64.b32encode(secrets.token_bytes(nbytes)).decode().rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def normalise_code(text: str) -> str:
    """Upper case, without spaces or dashes; ``""`` when it holds anything else."""
    cleaned = "".join(ch for ch in text.upper() if ch not in " -\t")
    return cleaned if cleaned and all(ch in _ALPHABET for ch in cleaned) and len(cleaned) <= 64 else ""


def code_digest(code: str, *, purpose: bytes) -> str:
    """The keyed digest a code is found by (``""`` for a malformed code)."""
    cleaned = normalise_code(code)
    if not cleaned:
        return ""
    return boxes.derive_key(settings.TIPLINE_REWARDS_KEY[:64], purpose=purpose, subject=cleaned.encode()).hex()


def code_key(code: str, *, purpose: bytes) -> bytes:
    """A key only the holder of the code can make (the code is the master)."""
    return boxes.derive_key(normalise_code(code).encode()[:64], purpose=purpose, subject=b"")


def hash_pin(pin: str) -> str:
    """Argon2id of the PIN with a random salt and the rewards key as pepper: ``salt$hash``."""
    salt = secrets.token_bytes(16)
    return f"{salt.hex()}${_derive(pin, salt).hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    salt_hex, _, digest_hex = stored.partition("$")
    if not salt_hex or not digest_hex:
        return False
    return hmac.compare_digest(_derive(pin, bytes.fromhex(salt_hex)).hex(), digest_hex)


def _derive(pin: str, salt: bytes) -> bytes:
    return kdf.derive(settings.TIPLINE_REWARDS_KEY + b"\0pin\0" + pin.encode(), salt, settings.TIPLINE_KDF_COST)
