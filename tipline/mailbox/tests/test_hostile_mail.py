"""Mail built to do harm: to make reading it slow (a charset whose decoding takes time
growing with the square of its length, many lines nested in many multipart parts) is held
or read differently, never left to run for minutes; automatic mail that would answer our
reply is never answered."""

from __future__ import annotations

import email
import threading
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tipline.conftest import Setup
from tipline.mailbox import parsing, services
from tipline.register.models import Channel, ChannelKind, Quarantine, Report

HEAD = b"From: Ana <ana@example.net>\r\nSubject: Slow\r\nMessage-ID: <slow@example.net>\r\n"


def _nested(depth: int, lines: int) -> bytes:
    inner = b"Content-Type: text/plain\r\n\r\n" + b"\r\n".join(b"x" for _ in range(lines)) + b"\r\n"
    for level in range(depth):
        boundary = b"b%d" % level
        inner = (
            b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n--' + boundary + b"\r\n"
            + inner + b"--" + boundary + b"--\r\n"
        )  # fmt: skip
    return HEAD + inner


@pytest.mark.parametrize("charset", [b"punycode", b"idna", b"base64_codec", b"rot13"])
def test_a_charset_no_mail_is_written_in_is_read_as_utf8_at_once(charset: bytes) -> None:
    body = b"-" + b"A" * 400_000  # punycode's decoder takes seconds on this, growing with its square
    raw = HEAD + b"Content-Type: text/plain; charset=" + charset + b"\r\n\r\n" + body + b"\r\n"
    began = time.process_time()
    parsed = parsing.parse(raw)
    assert time.process_time() - began < 2
    assert parsed.body.startswith("-AAAA")


def test_an_ordinary_charset_is_still_decoded_with_it() -> None:
    raw = HEAD + b"Content-Type: text/plain; charset=gb2312\r\n\r\n" + "举报内容".encode("gb2312") + b"\r\n"
    assert parsing.parse(raw).body == "举报内容"


def test_many_lines_nested_deep_are_not_read() -> None:
    deep = _nested(depth=200, lines=120_000)
    began = time.process_time()
    with pytest.raises(parsing.TooComplex):
        parsing.parse(deep)
    assert time.process_time() - began < 1, "refused before the parser starts"
    # Ordinary nesting with as many lines, and deep nesting of a short text, are read.
    assert parsing.parse(_nested(depth=4, lines=120_000)).body.startswith("x")
    assert parsing.parse(_nested(depth=60, lines=50)).body.startswith("x")


def test_a_mail_too_complex_to_read_is_held_with_its_original(org: Setup) -> None:
    channel = Channel.objects.create(slug="mail", name="Mail", kind=ChannelKind.MAILBOX, mail_reply="none")
    taken = services.take_in(channel=channel, raw=_nested(depth=200, lines=120_000))
    assert taken.result is services.Result.QUARANTINED
    report = Report.objects.get()
    assert report.quarantine == Quarantine.TOO_COMPLEX
    assert report.source_blob, "the original is kept for a supervisor"


def _parts(count: int) -> bytes:
    """One multipart of ``count`` empty parts: about 10 bytes of mail each."""
    return HEAD + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + b"--b\r\n\r\nx\r\n" * count + b"--b--\r\n"


def test_a_mail_of_too_many_parts_is_not_built_whole_in_memory() -> None:
    """A million empty parts fit in 10 MB of mail; the parser would hold them all at once
    (400 MB). It stops at the part beyond the limit."""
    tracemalloc.start()
    try:
        with pytest.raises(parsing.TooComplex):
            parsing.parse(_parts(1_000_000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 120 * 2**20, f"{peak / 2**20:.0f} MiB held while reading"
    # Thousands of parts are still read, as far as the parts read from one message go.
    parsed = parsing.parse(_parts(parsing.MAX_PARTS_BUILT - 1))
    assert parsed.body.startswith("x")
    assert any("parts beyond the first" in note for note in parsed.left_out)


@pytest.mark.parametrize(
    "raw",
    [
        HEAD + b"\r\n" + b"a\r\n" * (parsing.MAX_LINES + 1),
        b":\r\n" * (parsing.MAX_LINES + 1),  # each a header line the parser cannot read: 400 bytes each
        b":\r" * (parsing.MAX_LINES + 1),  # lines the parser ends at a bare CR
        b":\r:\n" * (parsing.MAX_LINES // 2 + 1),
    ],
    ids=["text", "bad header lines", "bare CR", "CR and LF apart"],
)
def test_a_mail_of_too_many_lines_is_not_read(raw: bytes) -> None:
    with pytest.raises(parsing.TooComplex):
        parsing.parse(raw)


def test_as_many_lines_as_a_full_mail_of_base64_are_read() -> None:
    raw = HEAD + b"Content-Type: text/plain\r\n\r\n" + b"a\r\n" * (parsing.MAX_LINES - 10)
    assert parsing.parse(raw).body.startswith("a\na")


def test_only_the_start_of_the_headers_is_read_of_a_mail_read_for_its_headers() -> None:
    """A mail too large to read whole is read for its headers: of one made of nothing else
    (about 400 bytes each in the parser), only the first HEADERS_KEPT bytes are read."""
    raw = HEAD + b":\r\n" * 2_000_000
    tracemalloc.start()
    try:
        parsed = parsing.read_headers(raw)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert parsed.subject == "Slow"
    assert peak < 2 * len(raw) + 60 * 2**20, f"{peak / 2**20:.0f} MiB held while reading"


def test_a_mail_of_too_many_parts_is_held_with_its_original(org: Setup) -> None:
    channel = Channel.objects.create(slug="mail", name="Mail", kind=ChannelKind.MAILBOX, mail_reply="none")
    taken = services.take_in(channel=channel, raw=_parts(parsing.MAX_PARTS_BUILT + 10))
    assert taken.result is services.Result.QUARANTINED
    report = Report.objects.get()
    assert report.quarantine == Quarantine.TOO_COMPLEX
    assert report.source_blob


@pytest.mark.parametrize(
    ("header", "automatic"),
    [
        (b"From: Ana <ana@example.net>\r\n", False),
        (b"From: Ana <ana@example.net>\r\nPrecedence: auto_reply\r\n", True),
        (b"From: Ana <ana@example.net>\r\nX-Autoreply: yes\r\n", True),
        (b"From: Ana <ana@example.net>\r\nX-Autorespond: Out of office\r\n", True),
        (b"From: Ana <ana@example.net>\r\nX-Auto-Response-Suppress: DR, OOF, AutoReply\r\n", True),
        (b"From: Ana <ana@example.net>\r\nX-Auto-Response-Suppress: DR\r\n", False),
        (b"From: List <list@example.net>\r\nList-Unsubscribe: <mailto:leave@example.net>\r\n", True),
        (b"From: Owner <owner-staff@example.net>\r\n", True),
        (b"From: Staff <staff-request@example.net>\r\n", True),
        (b"From: Shop <no-reply@example.net>\r\n", True),
    ],
)
def test_automatic_mail_is_recognised_and_never_answered(header: bytes, automatic: bool) -> None:
    """An autoresponder answering our reply with a mail of its own would get a receipt, answer
    it again, and so on: mail that says it is automatic, or comes from a list, is not answered."""
    raw = header + b"Subject: Re\r\nMessage-ID: <a@example.net>\r\n\r\nText\r\n"
    assert parsing.parse(raw).automatic is automatic


def test_an_encoded_word_inside_an_address_is_not_decoded_into_another_mailbox() -> None:
    """RFC 2047 allows no encoded word in an address: decoded, it names another mailbox, which
    would get the reply and its receipt. The address is kept as written."""
    written = b"From: =?utf-8?b?5byg5Lyf?=@example.net\r\nSubject: x\r\n\r\ntext\r\n"
    assert parsing.parse(written).sender_address == "=?utf-8?b?5byg5Lyf?=@example.net"
    as_utf8 = "From: 张伟 <张伟@example.cn>\r\nSubject: x\r\n\r\ntext\r\n".encode()
    parsed = parsing.parse(as_utf8)
    assert (parsed.sender_name, parsed.sender_address) == ("张伟", "张伟@example.cn")


@pytest.mark.parametrize(
    "sender",
    [
        '张伟"@'.encode(),  # the parser makes it an address without a domain
        b"ana@[127.0.0." + b"1" * 300 + b"]",  # longer than any address (254 characters)
    ],
)
def test_an_address_no_mail_can_be_sent_to_is_no_address(sender: bytes) -> None:
    parsed = parsing.parse(b"From: " + sender + b"\r\nSubject: x\r\n\r\ntext\r\n")
    assert parsed.sender_address == ""
    assert parsed.identity == "(no sender address)"


@pytest.mark.parametrize(
    ("sender", "name", "address"),
    [
        (b"=?utf-8?b?5byg5Lyf?= <zw@example.cn>", "张伟", "zw@example.cn"),
        ('"张伟" <zw@example.cn>'.encode(), "张伟", "zw@example.cn"),
        (b'"Teller, Ana" <ana@example.net>', "Teller, Ana", "ana@example.net"),
        (b"ana@example.net (Ana Teller)", "Ana Teller", "ana@example.net"),
        # The name of one address is never shown with another's.
        (b'"Alice" <=?utf-8?q?alice=40example=2Eorg?=>, <mallory@evil.example>', "", "mallory@evil.example"),
    ],
)
def test_the_sender_s_name_and_address_are_read_from_one_entry(sender: bytes, name: str, address: str) -> None:
    parsed = parsing.parse(b"From: " + sender + b"\r\nSubject: x\r\n\r\ntext\r\n")
    assert (parsed.sender_name, parsed.sender_address) == (name, address)


def _overlap_of_reads(raws: list[bytes], monkeypatch: pytest.MonkeyPatch) -> int:
    """The most reads of ``raws`` that ran at once, each read in a thread of its own."""
    running, most, lock = 0, 0, threading.Lock()
    real = email.message_from_bytes

    def slow_read(*args: Any, **kwargs: Any) -> Any:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            time.sleep(0.2)  # long enough for the other threads to start theirs
            return real(*args, **kwargs)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(email, "message_from_bytes", slow_read)
    with ThreadPoolExecutor(max_workers=len(raws)) as pool:
        list(pool.map(parsing.parse, raws))
    return most


def test_intake_threads_read_mail_of_many_lines_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each such read can take up to about 200 MB: read side by side, they would add up."""
    many = HEAD + b"Content-Type: text/plain\r\n\r\n" + b"a\r\n" * (parsing.HEAVY_LINES + 1)
    assert _overlap_of_reads([many, many, many], monkeypatch) == 1
    ordinary = HEAD + b"Content-Type: text/plain\r\n\r\n" + b"a line of text\r\n" * 4000
    assert _overlap_of_reads([ordinary, ordinary, ordinary], monkeypatch) == 3
