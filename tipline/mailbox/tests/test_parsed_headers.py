"""Reading a mail with headers parsed once per message gives what ``policy.default`` gives."""

from __future__ import annotations

import email.policy
from email.headerregistry import HeaderRegistry

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tipline.conftest import jpeg_with_exif
from tipline.mailbox import parsing
from tipline.mailbox.tests.test_ingest import _bad_mails, _mail

HEADER_NAMES = ("subject", "from", "reply-to", "message-id", "content-type", "content-disposition", "x-other")


@given(name=st.sampled_from(HEADER_NAMES), value=st.text(max_size=80))
def test_a_remembered_header_is_the_header_parsed_afresh(name: str, value: str) -> None:
    factory = parsing._ParsedHeaders()
    try:
        fresh = HeaderRegistry()(name, value)
    # A value the parser refuses (as ValueError, or IndexError for "0@") is refused again, never remembered.
    except (ValueError, IndexError) as error:
        for _attempt in range(2):
            with pytest.raises(type(error)):
                factory(name, value)
        return
    first, again = factory(name, value), factory(name, value)
    assert again is first
    assert type(first).__mro__[1:] == type(fresh).__mro__[1:]
    assert str(first) == str(fresh)
    assert [type(d) for d in first.defects] == [type(d) for d in fresh.defects]


def test_an_address_the_standard_library_cannot_parse_leaves_no_sender() -> None:
    parsed = parsing.parse(b"From: 0@\nReply-To: 0@\nSubject: broken sender\n\nThe text.\n")
    assert (parsed.sender_address, parsed.reply_to, parsed.subject, parsed.body) == (
        "",
        "",
        "broken sender",
        "The text.",
    )


def _mails() -> dict[str, bytes]:
    return {
        **_bad_mails(),
        "plain": _mail(),
        "html only": _mail(body=None, html="<p>The <b>manager</b></p><p>takes cash</p>"),
        "text and html": _mail(html="<p>The manager</p>"),
        "photo": _mail(files=[("IMG_1.jpg", jpeg_with_exif(), "image/jpeg")]),
        "reply-to": _mail(sender="Ana <ana@example.net>").replace(b"From:", b"Reply-To: Other <o@example.net>\nFrom:"),
    }


@pytest.mark.parametrize("kind", sorted(_mails()))
def test_a_mail_reads_the_same_as_with_the_default_policy(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _mails()[kind]
    remembered = parsing.parse(raw), parsing.read_headers(raw)
    monkeypatch.setattr(parsing, "_policy", lambda _headers: email.policy.default)
    assert (parsing.parse(raw), parsing.read_headers(raw)) == remembered


def test_every_reply_to_address_is_kept_once_beside_the_sender() -> None:
    raw = (
        b"From: Ana <ana@example.net>\n"
        b"Reply-To: Team <team@lists.example.net>, ana@example.net, =?utf-8?q?Bo?= <bo@example.org>,\n"
        b" TEAM@lists.example.net, no-domain@, =?utf-8?q?victim?=@example.com\n"
        b"Subject: s\n\nThe text.\n"
    )
    parsed = parsing.parse(raw)
    kept = "team@lists.example.net, bo@example.org, =?utf-8?q?victim?=@example.com"
    assert parsed.reply_to == kept
    assert parsed.identity.endswith(f"\nReply-To: {kept}")


def test_a_reply_to_naming_a_crowd_keeps_its_first_addresses() -> None:
    crowd = ", ".join(f"p{number}@example.net" for number in range(500)).encode()
    parsed = parsing.parse(b"From: ana@example.net\nReply-To: " + crowd + b"\nSubject: s\n\nThe text.\n")
    kept = parsed.reply_to.split(", ")
    assert kept == [*(f"p{number}@example.net" for number in range(parsing.REPLY_TO_KEPT)), "…"]


def test_a_display_name_that_decodes_to_a_line_break_keeps_its_address_on_one_line() -> None:
    """The standard library refuses the whole header; the address is read as written, and the
    name cannot add a line (a false "Reply-To:") to the identity."""
    raw = b"From: =?utf-8?q?Ana=0D=0AReply-To=3A_x=40evil.example?= <ana@example.net>\nSubject: s\n\nThe text.\n"
    parsed = parsing.parse(raw)
    assert (parsed.sender_name, parsed.sender_address) == ("Ana Reply-To: x@evil.example", "ana@example.net")
    assert parsed.identity == "Ana Reply-To: x@evil.example <ana@example.net>"
    assert parsed.reply_to == ""


# A quoted local part folded over lines, which keeps its line breaks.
_FOLDED = b'"ana\r\n Reply-To: boss@evil.example\r\n "@example.net'
_TAIL = b"\r\nSubject: s\r\n\r\nt\r\n"


@pytest.mark.parametrize(
    "raw",
    [
        b"From: Ana <" + _FOLDED + b">" + _TAIL,
        b"From: =?utf-8?q?Ana=0A?= <" + _FOLDED + b">" + _TAIL,
        b"From: ana@example.net\r\nReply-To: " + _FOLDED + _TAIL,
    ],
    ids=["from", "from the standard library refuses", "reply-to"],
)
def test_an_address_holding_a_line_break_adds_no_line_to_the_identity(raw: bytes) -> None:
    """A quoted local part folded over lines keeps its line break: no mail can be sent to
    it, and it would show as a line of its own ("Reply-To: ...") in the identity."""
    parsed = parsing.parse(raw)
    assert "boss@evil.example" not in parsed.identity
    assert "\n" not in parsed.identity.partition("\nReply-To: ")[2]


def test_comments_nested_too_deep_for_the_address_parser_leave_the_address_out() -> None:
    """The standard library's address parser recurses once per comment: a thousand nested
    ones exhaust it. That header gives no address; the mail is read all the same."""
    for header in (b"Reply-To: ", b"From: "):
        raw = header + b"(" * 3000 + b"x@evil.example\r\nSubject: s\r\n\r\nThe text.\r\n"
        if header == b"Reply-To: ":
            raw = b"From: ana@example.net\r\n" + raw
        parsed = parsing.parse(raw)
        assert parsed.body == "The text."
        assert "evil" not in parsed.identity
