"""Header and body text made readable: smuggled bytes and control characters become
spaces, line ends become ``\\n``; the quick path for ordinary text gives what the
character-by-character path gives."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tipline.mailbox.parsing import _readable

KEPT = "\n\t\u200c\u200d\u200e\u200f\u00ad"  # joiners, marks of direction, soft hyphen


def _by_character(text: str) -> str:
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch if ch.isprintable() or ch in KEPT else " " for ch in text).strip()


def test_control_characters_and_invisible_marks_become_spaces() -> None:
    assert _readable("a\x00b\x1b[31mc\u200bd\u2028e\x7f") == "a b [31mc d e"
    assert _readable("line one\r\nline two\rthree\n\tindented  ") == "line one\nline two\nthree\n\tindented"
    assert _readable("plain text, 中文, émigré") == "plain text, 中文, émigré"


def test_smuggled_bytes_are_replaced() -> None:
    smuggled = b"caf\xe9".decode("utf-8", "surrogateescape")
    assert _readable(smuggled) == "caf\ufffd"


@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",))) | st.text())
def test_the_quick_path_agrees_with_the_character_by_character_path(text: str) -> None:
    assert _readable(text) == _by_character(text)
