"""Symmetric authenticated encryption and public-key sealing."""

from __future__ import annotations

import nacl.exceptions
import nacl.secret
import nacl.utils
from nacl.public import PrivateKey, PublicKey, SealedBox

from tipline.crypto.errors import DecryptionFailed

KEY_BYTES = nacl.secret.SecretBox.KEY_SIZE


def new_key() -> bytes:
    """A fresh random 32-byte symmetric key."""
    return nacl.utils.random(KEY_BYTES)


def encrypt(key: bytes, plaintext: bytes) -> bytes:
    """Encrypt and authenticate with XSalsa20-Poly1305; a random nonce is prepended."""
    return bytes(nacl.secret.SecretBox(key).encrypt(plaintext))


def decrypt(key: bytes, ciphertext: bytes) -> bytes:
    """Reverse :func:`encrypt`; raise :class:`DecryptionFailed` on any tampering."""
    try:
        return bytes(nacl.secret.SecretBox(key).decrypt(ciphertext))
    except (nacl.exceptions.CryptoError, nacl.exceptions.ValueError, TypeError) as exc:
        raise DecryptionFailed from exc


def seal(public_key: bytes, plaintext: bytes) -> bytes:
    """Anonymous public-key encryption (``crypto_box_seal``) to ``public_key``."""
    return bytes(SealedBox(PublicKey(public_key)).encrypt(plaintext))


def unseal(private_key: bytes, ciphertext: bytes) -> bytes:
    """Open a sealed box with the matching private key."""
    try:
        return bytes(SealedBox(PrivateKey(private_key)).decrypt(ciphertext))
    except (nacl.exceptions.CryptoError, nacl.exceptions.ValueError, TypeError) as exc:
        raise DecryptionFailed from exc
