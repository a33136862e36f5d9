"""Reporter receipts: 16 random digits, one Argon2id derivation, peppered halves.

One derivation of the receipt with the instance-wide salt yields 64 bytes.
Each half is mixed with the server pepper by keyed BLAKE2b (with a distinct
personalisation), giving the lookup id stored with the report and the key
that wraps the report key. Without the pepper a stolen database cannot be
used to test receipt guesses at all; with it, each guess costs one Argon2id.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass

import nacl.encoding
from nacl.hash import blake2b

from tipline.crypto import kdf
from tipline.crypto.errors import MalformedReceipt

DIGITS = 16
_NON_DIGITS = re.compile(r"[\s\-\u00a0\u2010-\u2015]+")


@dataclass(frozen=True)
class ReceiptSecrets:
    lookup_id: bytes
    wrap_key: bytes


def new_receipt() -> str:
    """16 uniformly random decimal digits (about 53 bits)."""
    return "".join(secrets.choice("0123456789") for _ in range(DIGITS))


def format_receipt(receipt: str) -> str:
    """Show a receipt grouped 4-4-4-4 for reading aloud and copying."""
    return " ".join(receipt[i : i + 4] for i in range(0, DIGITS, 4))


def normalise_receipt(text: str) -> str:
    """Accept spaces and dashes between digits, and full-width digits and separators (what a
    Chinese or Japanese input method types in full-width mode); refuse anything else."""
    digits = without_separators(text)
    if len(digits) != DIGITS or not digits.isascii() or not digits.isdigit():
        raise MalformedReceipt
    return digits


def without_separators(text: str) -> str:
    """What is typed as a receipt without the spaces and dashes between its digits (in full
    width or not); a receipt is then 16 ASCII digits."""
    return _NON_DIGITS.sub("", unicodedata.normalize("NFKC", text))


def derive_receipt_secrets(receipt: str, *, salt: bytes, pepper: bytes, cost: kdf.KdfCost) -> ReceiptSecrets:
    """Exactly one Argon2id derivation, then two keyed hashes with the pepper."""
    stretched = kdf.derive(receipt.encode(), salt, cost, size=64)
    return ReceiptSecrets(
        lookup_id=_mix(stretched[:32], pepper, b"tipline-lookup"),
        wrap_key=_mix(stretched[32:], pepper, b"tipline-wrapkey"),
    )


def _mix(half: bytes, pepper: bytes, person: bytes) -> bytes:
    return bytes(blake2b(half, digest_size=32, key=pepper, person=person[:16], encoder=nacl.encoding.RawEncoder))
