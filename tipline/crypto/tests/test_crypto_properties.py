"""Property tests: round trips hold, and any change to ciphertext or key is refused."""

from __future__ import annotations

import nacl.secret
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tipline.crypto import boxes, keys, receipt, stream
from tipline.crypto.errors import DecryptionFailed, MalformedReceipt
from tipline.crypto.kdf import KdfCost

CHEAP = KdfCost(ops=1, mem=8 * 1024 * 1024)
KEY = boxes.new_key()
PUBLIC, PRIVATE = keys.new_key_pair()


def _flip(data: bytes, index: int, bit: int) -> bytes:
    position = index % len(data)
    return data[:position] + bytes([data[position] ^ (1 << bit)]) + data[position + 1 :]


@given(st.binary(max_size=4096))
def test_secretbox_round_trips(plaintext: bytes) -> None:
    assert boxes.decrypt(KEY, boxes.encrypt(KEY, plaintext)) == plaintext


@given(st.binary(max_size=512), st.integers(min_value=0), st.integers(min_value=0, max_value=7))
def test_secretbox_refuses_any_flipped_bit(plaintext: bytes, index: int, bit: int) -> None:
    ciphertext = boxes.encrypt(KEY, plaintext)
    with pytest.raises(DecryptionFailed):
        boxes.decrypt(KEY, _flip(ciphertext, index, bit))


@given(st.binary(max_size=512))
def test_secretbox_refuses_a_wrong_key(plaintext: bytes) -> None:
    with pytest.raises(DecryptionFailed):
        boxes.decrypt(boxes.new_key(), boxes.encrypt(KEY, plaintext))


@given(st.binary(max_size=512), st.binary(max_size=64), st.binary(max_size=64))
def test_a_bound_box_opens_only_in_its_own_place(plaintext: bytes, place: bytes, elsewhere: bytes) -> None:
    ciphertext = boxes.encrypt(KEY, plaintext, context=place)
    assert ciphertext.startswith(boxes.BOUND_MARKER)
    assert boxes.decrypt(KEY, ciphertext, context=place) == plaintext
    with pytest.raises(DecryptionFailed):
        boxes.decrypt(KEY, ciphertext)  # read as an old, unbound row
    if elsewhere != place:
        with pytest.raises(DecryptionFailed):
            boxes.decrypt(KEY, ciphertext, context=elsewhere)


@given(st.binary(max_size=512), st.integers(min_value=0), st.integers(min_value=0, max_value=7))
def test_a_bound_box_refuses_any_flipped_bit(plaintext: bytes, index: int, bit: int) -> None:
    ciphertext = boxes.encrypt(KEY, plaintext, context=b"message 7")
    with pytest.raises(DecryptionFailed):
        boxes.decrypt(KEY, _flip(ciphertext, index, bit), context=b"message 7")


def test_an_old_box_opens_with_a_context_even_when_its_nonce_starts_like_the_marker() -> None:
    nonce = boxes.BOUND_MARKER + bytes(nacl.secret.SecretBox.NONCE_SIZE - len(boxes.BOUND_MARKER))
    old = bytes(nacl.secret.SecretBox(KEY).encrypt(b"written before binding", nonce))
    assert old.startswith(boxes.BOUND_MARKER)
    assert boxes.decrypt(KEY, old, context=b"answers") == b"written before binding"


@settings(max_examples=20, deadline=None)
@given(size=st.sampled_from([0, 1, stream.CHUNK_SIZE, 2 * stream.CHUNK_SIZE + 5]))
def test_a_bound_stream_opens_only_in_its_own_place(size: int) -> None:
    data = b"d" * size
    ciphertext = b"".join(stream.encrypt_chunks(KEY, [data], context=b"file A"))
    assert len(ciphertext) == stream.encrypted_size(size)
    assert b"".join(stream.decrypt_chunks(KEY, [ciphertext], context=b"file A")) == data
    for elsewhere in (b"file B", None):
        with pytest.raises(DecryptionFailed):
            b"".join(stream.decrypt_chunks(KEY, [ciphertext], context=elsewhere))
    old = b"".join(stream.encrypt_chunks(KEY, [data]))
    assert b"".join(stream.decrypt_chunks(KEY, [old], context=b"file A")) == data


@given(st.binary(min_size=1, max_size=64), st.integers(min_value=0), st.integers(min_value=0, max_value=7))
def test_sealed_boxes_round_trip_and_refuse_tampering(plaintext: bytes, index: int, bit: int) -> None:
    sealed = boxes.seal(PUBLIC, plaintext)
    assert boxes.unseal(PRIVATE, sealed) == plaintext
    with pytest.raises(DecryptionFailed):
        boxes.unseal(PRIVATE, _flip(sealed, index, bit))
    with pytest.raises(DecryptionFailed):
        boxes.unseal(keys.new_key_pair()[1], sealed)


@given(st.lists(st.binary(min_size=1, max_size=64), min_size=1, max_size=5), st.integers(min_value=0))
def test_several_sealed_boxes_open_at_once_and_a_bad_one_is_left_out(plaintexts: list[bytes], pick: int) -> None:
    sealed = {n: boxes.seal(PUBLIC, text) for n, text in enumerate(plaintexts)}
    assert boxes.unseal_each(PRIVATE, sealed) == dict(enumerate(plaintexts))
    bad = pick % len(plaintexts)
    sealed[bad] = _flip(sealed[bad], pick, 0)
    assert boxes.unseal_each(PRIVATE, sealed) == {n: t for n, t in enumerate(plaintexts) if n != bad}
    assert boxes.unseal_each(keys.new_key_pair()[1], sealed) == {}
    with pytest.raises(DecryptionFailed):
        boxes.unseal_each(b"short", sealed)


_sizes = st.sampled_from([0, 1, stream.CHUNK_SIZE - 1, stream.CHUNK_SIZE, stream.CHUNK_SIZE + 1, 3 * stream.CHUNK_SIZE])


@settings(max_examples=30, deadline=None)
@given(size=_sizes, piece=st.integers(min_value=1, max_value=100_000), seed=st.binary(min_size=1, max_size=16))
def test_streams_round_trip_whatever_the_chunking(size: int, piece: int, seed: bytes) -> None:
    data = (seed * (size // len(seed) + 1))[:size]
    pieces = [data[i : i + piece] for i in range(0, len(data), piece)] or [b""]
    ciphertext = b"".join(stream.encrypt_chunks(KEY, pieces))
    assert len(ciphertext) == stream.encrypted_size(size)
    regrouped = [ciphertext[i : i + 7777] for i in range(0, len(ciphertext), 7777)]
    assert b"".join(stream.decrypt_chunks(KEY, regrouped)) == data


@settings(max_examples=60, deadline=None)
@given(size=_sizes, index=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_streams_refuse_any_flipped_bit(size: int, index: int, bit: int) -> None:
    ciphertext = b"".join(stream.encrypt_chunks(KEY, [b"a" * size]))
    with pytest.raises(DecryptionFailed):
        b"".join(stream.decrypt_chunks(KEY, [_flip(ciphertext, index, bit)]))


@settings(max_examples=30, deadline=None)
@given(size=st.integers(min_value=1, max_value=3 * stream.CHUNK_SIZE), cut=st.integers(min_value=1))
def test_streams_refuse_truncation(size: int, cut: int) -> None:
    ciphertext = b"".join(stream.encrypt_chunks(KEY, [b"b" * size]))
    shortened = ciphertext[: len(ciphertext) - 1 - cut % (len(ciphertext) - 1)]
    with pytest.raises(DecryptionFailed):
        b"".join(stream.decrypt_chunks(KEY, [shortened]))


def test_streams_refuse_reordered_or_appended_chunks() -> None:
    frame = stream.CHUNK_SIZE + stream.ABYTES
    ciphertext = b"".join(stream.encrypt_chunks(KEY, [b"c" * (3 * stream.CHUNK_SIZE)]))
    header, body = ciphertext[: stream.HEADER_BYTES], ciphertext[stream.HEADER_BYTES :]
    frames = [body[i : i + frame] for i in range(0, len(body), frame)]
    with pytest.raises(DecryptionFailed):
        b"".join(stream.decrypt_chunks(KEY, [header, frames[1], frames[0], *frames[2:]]))
    with pytest.raises(DecryptionFailed):
        b"".join(stream.decrypt_chunks(KEY, [ciphertext, frames[0]]))
    with pytest.raises(DecryptionFailed):
        b"".join(stream.decrypt_chunks(boxes.new_key(), [ciphertext]))


@settings(max_examples=10, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_a_private_key_unwraps_only_with_its_password(password: str) -> None:
    wrapped = keys.wrap_private_key(PRIVATE, password, CHEAP)
    assert keys.unwrap_private_key(wrapped, password) == PRIVATE
    with pytest.raises(DecryptionFailed):
        keys.unwrap_private_key(wrapped, password + "x")


SALT = b"s" * 16
PEPPER = b"p" * 32


@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=0, max_value=10**16 - 1), st.integers(min_value=1, max_value=10**16 - 1))
def test_a_different_receipt_gives_a_different_lookup_and_key(number: int, delta: int) -> None:
    first = f"{number:016d}"
    second = f"{(number + delta) % 10**16:016d}"
    a = receipt.derive_receipt_secrets(first, salt=SALT, pepper=PEPPER, cost=CHEAP)
    b = receipt.derive_receipt_secrets(second, salt=SALT, pepper=PEPPER, cost=CHEAP)
    assert a == receipt.derive_receipt_secrets(first, salt=SALT, pepper=PEPPER, cost=CHEAP)
    assert a.lookup_id != b.lookup_id
    assert a.wrap_key != b.wrap_key
    assert a.lookup_id != a.wrap_key


def test_the_pepper_changes_everything() -> None:
    a = receipt.derive_receipt_secrets("1" * 16, salt=SALT, pepper=PEPPER, cost=CHEAP)
    b = receipt.derive_receipt_secrets("1" * 16, salt=SALT, pepper=b"q" * 32, cost=CHEAP)
    assert a.lookup_id != b.lookup_id
    assert a.wrap_key != b.wrap_key


def test_a_receipt_costs_exactly_one_argon2_derivation(monkeypatch: pytest.MonkeyPatch) -> None:
    from tipline.crypto import kdf

    calls = []
    real = kdf.derive
    monkeypatch.setattr(kdf, "derive", lambda *a, **k: calls.append(1) or real(*a, **k))
    receipt.derive_receipt_secrets("1234" * 4, salt=SALT, pepper=PEPPER, cost=CHEAP)
    assert len(calls) == 1


def test_new_receipts_are_16_digits_and_shown_grouped() -> None:
    value = receipt.new_receipt()
    assert len(value) == 16
    assert value.isdigit()
    assert receipt.format_receipt("1234567890123456") == "1234 5678 9012 3456"
    assert len({receipt.new_receipt() for _ in range(1000)}) == 1000


@given(st.text(max_size=40))
def test_normalising_accepts_only_sixteen_ascii_digits(text: str) -> None:
    try:
        digits = receipt.normalise_receipt(text)
    except MalformedReceipt:
        return
    assert len(digits) == 16
    assert digits.isascii()
    assert digits.isdigit()


def test_kdf_cost_parsing_and_minimums() -> None:
    assert KdfCost.parse("t=3,m=64M") == KdfCost(ops=3, mem=64 * 1024 * 1024)
    assert KdfCost.parse("t=16, m=131072") == KdfCost(ops=16, mem=128 * 1024 * 1024)
    with pytest.raises(ValueError, match="expected"):
        KdfCost.parse("3,64")
    with pytest.raises(ValueError, match="minimum"):
        KdfCost(ops=0, mem=1024)
