"""Key pairs whose private half is wrapped by a password-derived key."""

from __future__ import annotations

from dataclasses import dataclass

import nacl.utils
from nacl.public import PrivateKey

from tipline.crypto import boxes, kdf


@dataclass(frozen=True)
class WrappedKeyPair:
    """What is stored: the public key and the private key encrypted under Argon2id(password)."""

    public_key: bytes
    wrapped_private_key: bytes
    salt: bytes
    cost: kdf.KdfCost


def new_key_pair() -> tuple[bytes, bytes]:
    """A fresh X25519 key pair as ``(public, private)`` raw bytes."""
    private = PrivateKey.generate()
    return bytes(private.public_key), bytes(private)


def public_key_of(private_key: bytes) -> bytes:
    return bytes(PrivateKey(private_key).public_key)


def wrap_private_key(private_key: bytes, password: str, cost: kdf.KdfCost) -> WrappedKeyPair:
    """Encrypt ``private_key`` under a key derived from ``password`` with a fresh salt."""
    salt = nacl.utils.random(kdf.SALT_BYTES)
    wrapping_key = kdf.derive(password.encode(), salt, cost)
    return WrappedKeyPair(
        public_key=public_key_of(private_key),
        wrapped_private_key=boxes.encrypt(wrapping_key, private_key),
        salt=salt,
        cost=cost,
    )


def unwrap_private_key(wrapped: WrappedKeyPair, password: str) -> bytes:
    """Recover the private key; raise ``DecryptionFailed`` on a wrong password."""
    wrapping_key = kdf.derive(password.encode(), wrapped.salt, wrapped.cost)
    return boxes.decrypt(wrapping_key, wrapped.wrapped_private_key)
