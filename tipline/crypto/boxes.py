"""Symmetric authenticated encryption and public-key sealing."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

import nacl.encoding
import nacl.exceptions
import nacl.hash
import nacl.secret
import nacl.utils
from nacl import bindings as sodium
from nacl.public import PrivateKey, PublicKey, SealedBox

from tipline.crypto.errors import DecryptionFailed

K = TypeVar("K", bound=Hashable)

KEY_BYTES = nacl.secret.SecretBox.KEY_SIZE
# A ciphertext bound to its place starts with this marker: the version of the format.
BOUND_MARKER = b"TLB1"
_NONCE_BYTES = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES


def new_key() -> bytes:
    """A fresh random 32-byte symmetric key."""
    return nacl.utils.random(KEY_BYTES)


def encrypt(key: bytes, plaintext: bytes, *, context: bytes | None = None) -> bytes:
    """Encrypt and authenticate; a random nonce is prepended.

    With ``context`` (where the ciphertext lives: its kind and its row), the result is
    XChaCha20-Poly1305 with ``context`` as associated data, behind :data:`BOUND_MARKER`:
    it opens only with the same context, so it cannot be moved to another row. Without
    it, XSalsa20-Poly1305 (``SecretBox``), the format of everything written before.
    """
    if context is None:
        return bytes(nacl.secret.SecretBox(key).encrypt(plaintext))
    nonce = nacl.utils.random(_NONCE_BYTES)
    return BOUND_MARKER + nonce + sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, context, nonce, key)


def decrypt(key: bytes, ciphertext: bytes, *, context: bytes | None = None) -> bytes:
    """Reverse :func:`encrypt`; raise :class:`DecryptionFailed` on any tampering.

    A bound ciphertext opens only with its own ``context``. An unbound one (written
    before binding existed) still opens, with or without a context: old rows stay
    readable.
    """
    if context is not None and ciphertext.startswith(BOUND_MARKER):
        body = ciphertext[len(BOUND_MARKER) :]
        try:
            return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
                body[_NONCE_BYTES:], context, body[:_NONCE_BYTES], key
            )
        except (nacl.exceptions.CryptoError, nacl.exceptions.ValueError, TypeError):
            pass  # or an old ciphertext whose random nonce happens to start with the marker
    try:
        return bytes(nacl.secret.SecretBox(key).decrypt(ciphertext))
    except (nacl.exceptions.CryptoError, nacl.exceptions.ValueError, TypeError) as exc:
        raise DecryptionFailed from exc


def derive_key(master: bytes, *, purpose: bytes, subject: bytes, size: int = KEY_BYTES) -> bytes:
    """A subkey of ``master`` for one purpose (at most 16 bytes) and one subject: keyed
    BLAKE2b, as libsodium's ``crypto_kdf`` does. ``master`` is at most 64 bytes."""
    return bytes(
        nacl.hash.blake2b(subject, digest_size=size, key=master, person=purpose, encoder=nacl.encoding.RawEncoder)
    )


def seal(public_key: bytes, plaintext: bytes) -> bytes:
    """Anonymous public-key encryption (``crypto_box_seal``) to ``public_key``."""
    return bytes(SealedBox(PublicKey(public_key)).encrypt(plaintext))


def unseal_each(private_key: bytes, ciphertexts: Mapping[K, bytes]) -> dict[K, bytes]:
    """Open several sealed boxes with one private key (its public half computed once);
    a box that does not open is left out."""
    try:
        opener = SealedBox(PrivateKey(private_key))
    except (nacl.exceptions.CryptoError, nacl.exceptions.ValueError, TypeError) as exc:
        raise DecryptionFailed from exc
    opened = {}
    for name, ciphertext in ciphertexts.items():
        try:
            opened[name] = bytes(opener.decrypt(ciphertext))
        except (nacl.exceptions.CryptoError, nacl.exceptions.ValueError, TypeError):
            continue
    return opened


def unseal(private_key: bytes, ciphertext: bytes) -> bytes:
    """Open a sealed box with the matching private key."""
    try:
        return bytes(SealedBox(PrivateKey(private_key)).decrypt(ciphertext))
    except (nacl.exceptions.CryptoError, nacl.exceptions.ValueError, TypeError) as exc:
        raise DecryptionFailed from exc
