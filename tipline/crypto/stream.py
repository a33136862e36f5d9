"""Streaming file encryption with libsodium's secretstream (XChaCha20-Poly1305).

Constant memory whatever the size: data is processed in chunks of
``CHUNK_SIZE`` bytes. The last chunk carries the FINAL tag, so truncation is
detected, and any altered, dropped or reordered chunk fails authentication.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO

import nacl.exceptions
from nacl import bindings as sodium

from tipline.crypto.errors import DecryptionFailed

CHUNK_SIZE = 64 * 1024
HEADER_BYTES = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES
ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES
_TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL


def read_chunks(source: BinaryIO, size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Yield ``size``-byte chunks from a binary file object."""
    while chunk := source.read(size):
        yield chunk


def encrypt_chunks(key: bytes, chunks: Iterable[bytes], *, context: bytes | None = None) -> Iterator[bytes]:
    """Yield the stream header, then one ciphertext per input chunk (last one FINAL).

    Input chunks are re-cut to ``CHUNK_SIZE`` so the decryptor knows the frame size.
    ``context`` (where the stream belongs) is the associated data of the first chunk:
    the stream then opens only with that context.
    """
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    yield sodium.crypto_secretstream_xchacha20poly1305_init_push(state, key)
    pending, ad = b"", context
    for piece in _recut(chunks):
        if pending:
            yield sodium.crypto_secretstream_xchacha20poly1305_push(state, pending, ad=ad, tag=_TAG_MESSAGE)
            ad = None
        pending = piece
    yield sodium.crypto_secretstream_xchacha20poly1305_push(state, pending, ad=ad, tag=_TAG_FINAL)


def decrypt_chunks(key: bytes, chunks: Iterable[bytes], *, context: bytes | None = None) -> Iterator[bytes]:
    """Yield plaintext chunks; raise :class:`DecryptionFailed` on tampering or truncation.

    A stream written with a context opens only with it; one written before streams
    were bound (no context) still opens.
    """
    frames = _recut(chunks, first=HEADER_BYTES, size=CHUNK_SIZE + ABYTES)
    header = next(frames, b"")
    if len(header) != HEADER_BYTES:
        raise DecryptionFailed("stream too short")
    state = sodium.crypto_secretstream_xchacha20poly1305_state()
    try:
        sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, header, key)
        finished, first = False, True
        for frame in frames:
            if finished:
                raise DecryptionFailed("data after the final chunk")
            if first:
                state, (plain, tag) = _pull_first(key, header, state, frame, context)
                first = False
            else:
                plain, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(state, frame)
            finished = tag == _TAG_FINAL
            yield plain
    except (nacl.exceptions.CryptoError, nacl.exceptions.ValueError, RuntimeError) as exc:
        raise DecryptionFailed("stream altered") from exc
    if not finished:
        raise DecryptionFailed("stream truncated")


def _pull_first(
    key: bytes,
    header: bytes,
    state: sodium.crypto_secretstream_xchacha20poly1305_state,
    frame: bytes,
    context: bytes | None,
) -> tuple[sodium.crypto_secretstream_xchacha20poly1305_state, tuple[bytes, int]]:
    """Open the first frame with ``context``, or else as an unbound stream from before."""
    if context is not None:
        try:
            return state, sodium.crypto_secretstream_xchacha20poly1305_pull(state, frame, ad=context)
        except nacl.exceptions.CryptoError:
            state = sodium.crypto_secretstream_xchacha20poly1305_state()
            sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, header, key)
    return state, sodium.crypto_secretstream_xchacha20poly1305_pull(state, frame)


def encrypted_size(plain_size: int) -> int:
    """Bytes that :func:`encrypt_chunks` writes for ``plain_size`` bytes of input."""
    frames = max(1, -(-plain_size // CHUNK_SIZE))
    return HEADER_BYTES + plain_size + frames * ABYTES


def _recut(chunks: Iterable[bytes], *, first: int = 0, size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Re-cut an iterable of byte strings into frames: one of ``first`` bytes, then ``size``."""
    buffer = bytearray()
    want = first or size
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= want:
            yield bytes(buffer[:want])
            del buffer[:want]
            want = size
    if buffer:
        yield bytes(buffer)
