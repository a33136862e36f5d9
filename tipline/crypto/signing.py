"""Ed25519 signatures of statements the institution issues (proof of reporting)."""

from __future__ import annotations

import nacl.encoding
import nacl.exceptions
import nacl.hash
import nacl.signing

from tipline.crypto.errors import DecryptionFailed

SEED_BYTES = 32


class BadSignature(DecryptionFailed):
    """The signature does not match the statement and the key."""


def signing_key_from_secret(secret: bytes) -> nacl.signing.SigningKey:
    """The institution's signing key, derived (keyed BLAKE2b) from a configured secret."""
    seed = nacl.hash.blake2b(
        b"tipline proof of reporting", digest_size=SEED_BYTES, key=secret[:64], encoder=nacl.encoding.RawEncoder
    )
    return nacl.signing.SigningKey(bytes(seed))


def public_key_of(signing_key: nacl.signing.SigningKey) -> bytes:
    return bytes(signing_key.verify_key)


def sign(signing_key: nacl.signing.SigningKey, message: bytes) -> bytes:
    """A detached 64-byte signature of ``message``."""
    return bytes(signing_key.sign(message).signature)


def verify(public_key: bytes, message: bytes, signature: bytes) -> None:
    """Raise :class:`BadSignature` unless ``signature`` is ``public_key``'s signature of ``message``."""
    try:
        nacl.signing.VerifyKey(public_key).verify(message, signature)
    except (nacl.exceptions.BadSignatureError, nacl.exceptions.ValueError, TypeError) as exc:
        raise BadSignature from exc
