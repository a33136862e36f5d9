"""The parser's search for the line end before a boundary, from the last two characters
only (``parsing._EndOfLine``): the same answer as the standard library's whole search,
for every ending, and the parts of a mail read the same."""

from __future__ import annotations

import email
import email.feedparser
import email.policy
import itertools
import re
from email.message import EmailMessage

import pytest

from tipline.mailbox import parsing

WHOLE = re.compile(r"(\r\n|\r|\n)\Z")


def _span(match: re.Match[str] | None) -> tuple[int, int, str] | None:
    return None if match is None else (*match.span(), match.group(0))


def test_it_is_the_parsers_pattern_now() -> None:
    eol = getattr(email.feedparser, "NLCRE_eol")  # noqa: B009 - not in the typing stubs
    assert isinstance(eol, parsing._EndOfLine)
    assert eol.pattern.pattern == WHOLE.pattern


def test_every_ending_finds_what_the_whole_search_finds() -> None:
    search = parsing._EndOfLine(WHOLE).search
    pieces = ["", "a", "\r", "\n", "\r\n", "\n\r", " ", "é"]
    for length in range(4):
        for combination in itertools.product(pieces, repeat=length):
            text = "".join(combination)
            assert _span(search(text)) == _span(WHOLE.search(text)), repr(text)
    long = "x" * 100_000
    for ending in ("", "\n", "\r", "\r\n", "\n\n", "\r\r", "\n\r\n"):
        assert _span(search(long + ending)) == _span(WHOLE.search(long + ending))


def test_a_mail_reads_the_same_as_with_the_whole_search(monkeypatch: pytest.MonkeyPatch) -> None:
    message = EmailMessage()
    message["Subject"] = "Parts"
    message.set_content("The text.\r\n\r\n")
    message.add_attachment(b"\x00\x01" * 50_000, maintype="application", subtype="octet-stream", filename="a.bin")
    message.add_attachment("note\r", subtype="plain", filename="b.txt")
    raw = message.as_bytes()
    ours = email.message_from_bytes(raw, policy=email.policy.default)
    monkeypatch.setattr(email.feedparser, "NLCRE_eol", WHOLE)
    theirs = email.message_from_bytes(raw, policy=email.policy.default)
    assert [p.get_payload() for p in ours.walk()][1:] == [p.get_payload() for p in theirs.walk()][1:]
    assert ours.as_bytes() == theirs.as_bytes()
