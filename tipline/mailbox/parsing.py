"""A received mail read into what a report needs, with the standard library's ``email``
(``policy.default``): no home-made MIME parsing.

Whatever the message, reading it never raises for its content: lying or unknown
charsets are decoded with replacement characters, 8-bit headers are kept as far as they
can be read, an HTML-only body becomes plain text through nh3 (never rendered as HTML),
nested messages are read to a limited depth, and the parts beyond the limits are left
out and said so in :attr:`ParsedMail.left_out` (they stay in the original, which is kept
encrypted with the report).
"""

from __future__ import annotations

import codecs
import email
import email.feedparser
import email.policy
import html
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

import nh3
from django.conf import settings
from django.utils.translation import gettext as _

MAX_DEPTH = 3
_BLOCK_END = re.compile(r"(?i)<br\s*/?>|</(?:p|div|li|tr|h[1-6]|blockquote|pre|table)\s*>")
_BLANK_LINES = re.compile(r"\n{3,}")


_REGISTRY = HeaderRegistry()


class _EndOfLine:
    r"""``email.feedparser``'s pattern for the line end that closes a part, searched from
    where it can match: the last two characters.

    The parser takes the newline before each boundary off the part before it with
    ``NLCRE_eol.search(payload)``, and ``(\r\n|\r|\n)\Z`` searched over the whole
    payload tries every position of it: 3 ms of a mail's 7 to read for a 270 KB
    attachment. A match can only begin at one of the last two characters, and the
    leftmost one there is the one the whole search finds, so the result is the same.
    """

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text, max(len(text) - 2, 0))


# Only the pattern this was written for: a Python whose parser changed keeps its own.
# (The typing stubs do not list the parser's module-level patterns, hence getattr.)
_STANDARD_EOL = getattr(email.feedparser, "NLCRE_eol", None)
if isinstance(_STANDARD_EOL, re.Pattern) and _STANDARD_EOL.pattern == r"(\r\n|\r|\n)\Z":
    setattr(email.feedparser, "NLCRE_eol", _EndOfLine(_STANDARD_EOL))  # noqa: B010 - see above


# Headers that say how a message is built: one of them left out would change how the rest
# is read, so a message with one too long to read is held whole instead.
_STRUCTURE_HEADERS = frozenset({"content-type", "content-transfer-encoding", "content-disposition"})
# A message's headers together are read up to this many times TIPLINE_MAIL_MAX_HEADER_CHARS.
HEADER_BUDGET = 8


class HeaderTooLong(Exception):
    """A header that says how the message is built is too long to be read safely."""


class TooComplex(Exception):
    """A message whose reading would take too long or too much memory: too many lines or
    parts, or many lines inside many multipart parts."""


# The standard parser checks each line of a message against the boundary of every multipart
# part that encloses it, so its time grows with the lines times the nesting: a message of a
# few megabytes of short lines, nested a few hundred parts deep, takes minutes. A message is
# read only if its lines times (1 + the multipart parts it declares, an upper bound of its
# nesting) stay within this, which keeps the worst to seconds and ordinary mail far below it
# (a mail of 25 MB in attachments, 20 parts deep: 7 million).
PARSE_BUDGET = 20_000_000
# The parser also keeps each line as a string of its own until its part ends, and each header
# line (or line it cannot read as one) as an object of about 400 bytes: 25 MB of short lines
# took gigabytes. A message is read only up to this many lines, which a mail of 25 MB in base64
# attachments (340,000 lines) stays below; the worst then holds about 200 MB, for seconds.
MAX_LINES = 500_000


def _lines(raw: bytes) -> int:
    """The lines the parser sees: it ends a line at CR, LF or CRLF."""
    return raw.count(b"\n") + raw.count(b"\r") - raw.count(b"\r\n")


def _within_budget(raw: bytes) -> bool:
    multiparts = raw.lower().count(b"boundary")
    if len(raw) <= MAX_LINES and len(raw) * (1 + multiparts) <= PARSE_BUDGET:
        return True  # a line takes a byte at least: most mail need not be counted
    lines = _lines(raw)
    return lines <= MAX_LINES and lines * (1 + multiparts) <= PARSE_BUDGET


# The parser builds every part of a message before any of it is read, at about 400 bytes and
# 27 µs each: a mail of 10 MB can hold a million empty parts (400 MB, half a minute), and the
# worker reads several mails at once. Reading stops, and the message is held, at the part
# beyond this many, which thousands of parts stay far below.
MAX_PARTS_BUILT = 50_000


class _CountedParts:
    """The policy's message factory, raising :class:`TooComplex` once the parser has asked
    it for more than :data:`MAX_PARTS_BUILT` parts."""

    def __init__(self) -> None:
        # The parser asks for one at the start only to learn how to call the factory.
        self._left = MAX_PARTS_BUILT + 1

    def __call__(self, policy: email.policy.Policy = email.policy.default) -> EmailMessage:
        self._left -= 1
        if self._left < 0:
            raise TooComplex
        return EmailMessage(policy=policy)


# Charsets a text part may name that are no text a mail is written in: slow to decode
# (punycode takes time growing with the square of the length) or not text at all (the
# codecs from bytes to bytes). Such a part is read as UTF-8 with replacements.
_NOT_MAIL_CHARSETS = frozenset({"punycode", "idna"})


def _decodable(charset: str) -> bool:
    try:
        codec = codecs.lookup(charset)
    except LookupError:
        return False
    return codec.name not in _NOT_MAIL_CHARSETS and getattr(codec, "_is_text_encoding", True)


class _ParsedHeaders:
    """``policy.default``'s header factory, remembering each header it parsed for one message.

    The standard library parses a header again at every look-up: reading one mail asks
    for a part's Content-Type a dozen times (the parser itself, then the content type,
    disposition, file name and charset), and each parse builds a class and a parse tree.
    A header object is immutable, so one parse per header and value gives the same
    result for a fraction of the work. Kept per message, so it holds only that
    message's own headers and goes with it.

    The parser's time and memory grow with the square of a header's encoded words (a
    Subject of 900 KB took 24 GB), so a header longer than ``TIPLINE_MAIL_MAX_HEADER_CHARS``
    is never parsed: reading the ``whole`` message, one that says how it is built raises
    :class:`HeaderTooLong`; any other is read as empty and its name kept in :attr:`too_long`.
    """

    def __init__(self, *, whole: bool = True) -> None:
        self._parsed: dict[tuple[str, str], BaseHeader] = {}
        self._whole = whole
        # What is left of the message's allowance: its headers together are parsed up to
        # HEADER_BUDGET times the longest one (many parts each with a long header add up).
        self._left = settings.TIPLINE_MAIL_MAX_HEADER_CHARS * HEADER_BUDGET
        self.too_long: list[str] = []

    def __call__(self, name: str, value: str) -> BaseHeader:
        key = (name, value)
        header = self._parsed.get(key)
        if header is None:
            self._left -= len(value)
            if len(value) > settings.TIPLINE_MAIL_MAX_HEADER_CHARS or self._left < 0:
                if self._whole and name.lower() in _STRUCTURE_HEADERS:
                    raise HeaderTooLong(name)
                if name.lower() not in self.too_long:
                    self.too_long.append(name.lower())
                value = ""  # remembered as left out: asked for again, it costs nothing more
            header = self._parsed[key] = _REGISTRY(name, value)
        return header


def _policy(headers: _ParsedHeaders) -> email.policy.EmailPolicy[EmailMessage]:
    """``policy.default`` for one message, with its own memory of parsed headers."""
    return email.policy.default.clone(header_factory=headers)


@dataclass(frozen=True)
class MailFile:
    name: str
    data: bytes


@dataclass
class ParsedMail:
    subject: str = ""
    body: str = ""
    sender_name: str = ""
    sender_address: str = ""
    message_id: str = ""
    reply_to: str = ""  # where the sender asked for answers, when not their own address
    automatic: bool = False
    # A delivery report (a bounce, a read receipt): it can quote a reply of ours, receipt and all.
    delivery_report: bool = False
    files: list[MailFile] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)

    @property
    def identity(self) -> str:
        """The sender as the reporter's identity (sealed; supervisors only)."""
        if not self.sender_address:
            return _("(no sender address)")
        sender = f"{self.sender_name} <{self.sender_address}>" if self.sender_name else self.sender_address
        return f"{sender}\nReply-To: {self.reply_to}" if self.reply_to else sender


@dataclass
class _Walk:
    parsed: ParsedMail
    parts: int = 0
    bodies: list[str] = field(default_factory=list)
    html_bodies: list[str] = field(default_factory=list)


# The first bytes of a message's header section fetched, kept and read of a message read only
# for its headers (too large to read whole): beyond them, one of nothing but header lines
# would take memory and time without bound (here at most about 50 MB, for a moment). Fixed,
# so that the digest of a message left in the mailbox never changes from one poll to the next.
HEADERS_KEPT = 256 * 1024


# A mail of more lines than this can take tens of megabytes in the parser (about 400 bytes a
# line at worst, up to about 200 MB within MAX_LINES): the intake threads of a process read
# such mail one at a time, so that hostile mail read side by side does not hold that in each.
# Ordinary mail (a photo in base64: 4,000 lines) is read at once.
HEAVY_LINES = 20_000
_ONE_HEAVY_READ = threading.Lock()


@contextmanager
def _one_at_a_time_if_heavy(raw: bytes) -> Iterator[None]:
    # At least as many as the lines (a CRLF counts twice), at the speed of a byte search.
    if len(raw) <= HEAVY_LINES or raw.count(b"\n") + raw.count(b"\r") <= HEAVY_LINES:
        yield
        return
    with _ONE_HEAVY_READ:
        yield


def read_headers(raw: bytes) -> ParsedMail:
    """Only the headers (for a message too large to be read whole), as far as
    :data:`HEADERS_KEPT` goes."""
    head = raw[:HEADERS_KEPT].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    with _one_at_a_time_if_heavy(head):
        # How the message is built does not matter here: a structure header too long is left out too.
        message = email.message_from_bytes(head + b"\r\n\r\n", policy=_policy(_ParsedHeaders(whole=False)))
        parsed = ParsedMail()
        _read_envelope(message, parsed)
    return parsed


def parse(raw: bytes) -> ParsedMail:
    """The message as a report needs it. Raises :class:`HeaderTooLong` or :class:`TooComplex`
    (hold it whole)."""
    if not _within_budget(raw):
        raise TooComplex
    with _one_at_a_time_if_heavy(raw):
        return _parse(raw)


def _parse(raw: bytes) -> ParsedMail:
    headers = _ParsedHeaders()
    message = email.message_from_bytes(raw, _CountedParts(), policy=_policy(headers))
    parsed = ParsedMail()
    _read_envelope(message, parsed)
    walk = _Walk(parsed=parsed)
    _walk(message, walk, depth=0)
    parsed.left_out.extend(
        _("The “%(name)s” header, longer than %(limit)s characters.")
        % {"name": name, "limit": settings.TIPLINE_MAIL_MAX_HEADER_CHARS}
        for name in headers.too_long
    )
    text = "\n\n".join(b for b in walk.bodies if b.strip())
    if not text.strip() and walk.html_bodies:
        text = "\n\n".join(walk.html_bodies)
    text = text.strip()
    if len(text) > settings.TIPLINE_MAX_ANSWER_CHARS:
        parsed.left_out.append(
            _("The text beyond its first %(limit)s characters.") % {"limit": settings.TIPLINE_MAX_ANSWER_CHARS}
        )
    parsed.body = _clip(text)
    if walk.parts > settings.TIPLINE_MAIL_MAX_PARTS:
        parsed.left_out.append(
            _("%(count)s parts beyond the first %(limit)s were not read.")
            % {"count": walk.parts - settings.TIPLINE_MAIL_MAX_PARTS, "limit": settings.TIPLINE_MAIL_MAX_PARTS}
        )
    return parsed


def _read_envelope(message: Message, parsed: ParsedMail) -> None:
    parsed.subject = _clip(_header(message, "subject"), 500)
    parsed.message_id = _header(message, "message-id")[:500]
    # The writer is who the mail is from: a receipt goes there, never to a Reply-To (a shared
    # or a list address would hand it to others), which is kept with the identity.
    name, address = _sender(message, ("from", "sender"))
    parsed.sender_name, parsed.sender_address = name[:200], address
    parsed.reply_to = _reply_to(message, sender=address)
    auto = _header(message, "auto-submitted").lower()
    precedence = _header(message, "precedence").lower()
    content_type = _content_type(message)
    parsed.delivery_report = content_type == "multipart/report"
    local = address.lower().partition("@")[0]
    parsed.automatic = (
        (auto not in {"", "no"})
        or precedence in {"bulk", "list", "junk", "auto_reply"}
        or local in {"mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply", "donotreply"}
        or local.startswith("owner-")
        or local.endswith("-request")
        # Autoresponders that do not say so as RFC 3834 asks, and lists, say so in these.
        or any(_header(message, name) for name in _AUTOMATIC_HEADERS)
        or _suppresses_auto_replies(_header(message, "x-auto-response-suppress"))
        or _header(message, "return-path").replace(" ", "") == "<>"  # RFC 3834: never answer a null sender
        or parsed.delivery_report
    )


_AUTOMATIC_HEADERS = ("list-id", "list-unsubscribe", "x-autoreply", "x-autorespond", "x-auto-reply")


def _suppresses_auto_replies(value: str) -> bool:
    """Microsoft's header that asks for no automatic answer (sent with its own automatic mail)."""
    words = {word.strip().lower() for word in value.split(",")}
    return bool(words & {"all", "autoreply", "oof"})


def _content_type(message: Message) -> str:
    try:
        return message.get_content_type()
    except HeaderTooLong:
        raise  # the message is held whole
    except Exception:
        return ""


def _sender(message: Message, headers: tuple[str, ...]) -> tuple[str, str]:
    """The display name and address of the first of ``headers`` that names a usable one.

    Both are read from the header as it is written, the name then decoded: an encoded word
    inside an address (RFC 2047 allows none there) would decode to another mailbox, which
    would get the reply and its receipt."""
    for name in headers:
        if not _named(message, name):  # none, or too long to read
            continue
        display, address = _first_address(_raw_header(message, name))
        if _usable(address.strip()):
            return " ".join(_decoded(display).split()), address.strip()  # one line, whatever it decodes to
    return "", ""


def _named(message: Message, name: str) -> bool:
    """Whether the message has the header ``name``, not too long to read. One the standard
    library refuses to parse (a display name that decodes to a line break, say) counts: its
    address is read as written."""
    try:
        value = message.get(name)
    except HeaderTooLong:
        raise
    except Exception:
        return True
    return value is not None and bool(str(value).strip())


# Of a Reply-To, the addresses kept with the identity (a mail may name a whole list).
REPLY_TO_KEPT = 20


def _reply_to(message: Message, *, sender: str) -> str:
    """Every usable address of the Reply-To header (up to :data:`REPLY_TO_KEPT`, each once),
    read as written like the sender's, other than the sender's own: empty when there is none."""
    if not _named(message, "reply-to"):  # none, or too long to read
        return ""
    kept: list[str] = []
    seen = {sender.lower()}
    for _display, written in _addresses(_raw_header(message, "reply-to")):
        address = written.strip()
        if _usable(address) and address.lower() not in seen:
            seen.add(address.lower())
            kept.append(address)
    if len(kept) > REPLY_TO_KEPT:
        kept = [*kept[:REPLY_TO_KEPT], "…"]
    return ", ".join(kept)


def _decoded(words: str) -> str:
    """A display name with its encoded words (RFC 2047) decoded."""
    try:
        return _readable(str(make_header(decode_header(words))))
    except Exception:  # a broken encoded word: the name as written
        return _readable(words)


def _first_address(value: str) -> tuple[str, str]:
    pairs = [p for p in _addresses(value) if "@" in p[1]]
    if pairs:
        return pairs[0]
    try:
        return parseaddr(value)
    except Exception:  # as in _addresses
        return "", ""


def _addresses(value: str) -> list[tuple[str, str]]:
    """The (name, address) pairs of a header as written; none where the standard library's
    address parser fails on it (comments nested a thousand deep exhaust its recursion)."""
    try:
        return getaddresses([value])
    except Exception:
        return []


def _usable(address: str) -> bool:
    """An address mail can be sent to: something each side of the ``@``, no more than 254
    characters (RFC 5321), and no line break or other control character (a quoted local part
    can hold one, which would add a line to the identity)."""
    local, at, domain = address.rpartition("@")
    return bool(local and at and domain) and len(address) <= 254 and address.isprintable()


def _raw_header(message: Message, name: str) -> str:
    """A header as it stands in the message, encoded words and all."""
    for key, value in message.raw_items():
        if key.lower() == name:
            return _readable(str(value))
    return ""


def _header(message: Message, name: str) -> str:
    """A header as text, whatever it holds (undecodable bytes become U+FFFD)."""
    try:
        value = message.get(name)
    except HeaderTooLong:
        raise
    except Exception:
        return ""
    if value is None:
        return ""
    return _readable(str(value))


# Invisible characters that are part of the text: the joiners (Persian, Indic scripts, emoji
# sequences), the marks of direction and the soft hyphen. Other invisible ones (overrides of
# the direction, which can disguise a file name) become spaces.
_KEPT_INVISIBLE = frozenset("\n\t\u200c\u200d\u200e\u200f\u00ad")


def _readable(text: str) -> str:
    """Text with any smuggled raw bytes (surrogate escapes) or control characters replaced."""
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # mail arrives with CRLF line ends
    if text.replace("\n", "").replace("\t", "").isprintable():  # the usual case, checked at C speed
        return text.strip()
    return "".join(ch if ch.isprintable() or ch in _KEPT_INVISIBLE else " " for ch in text).strip()


def _walk(part: Message, walk: _Walk, *, depth: int) -> None:
    walk.parts += 1
    if walk.parts > settings.TIPLINE_MAIL_MAX_PARTS:
        return
    content_type = part.get_content_type()
    if part.is_multipart():
        if content_type.startswith("message/"):
            _nested(part, walk, depth=depth)
            return
        for child in part.get_payload():
            if isinstance(child, Message):
                _walk(child, walk, depth=depth)
        return
    disposition = (part.get_content_disposition() or "").lower()
    name = _file_name(part)
    if content_type.startswith("multipart/"):
        # A multipart without a boundary: its parts cannot be told apart, so its text is
        # read as it stands (the original keeps the rest).
        walk.bodies.append(_text(part))
    elif content_type == "text/plain" and disposition != "attachment":
        # Some mail programs name the text they send inline: it is still the text.
        walk.bodies.append(
            _("--- The text “%(name)s” ---") % {"name": name} + "\n" + _text(part) if name else _text(part)
        )
    elif content_type == "text/html" and disposition != "attachment" and not name:
        walk.html_bodies.append(html_to_text(_text(part)))
    else:
        _attach(part, walk, name=name or _("attachment"))


def _nested(part: Message, walk: _Walk, *, depth: int) -> None:
    """A forwarded message: its text joins the body, marked; its files are attached."""
    if depth >= MAX_DEPTH:
        walk.parsed.left_out.append(_("A message nested more than %(depth)s deep was not read.") % {"depth": MAX_DEPTH})
        return
    for inner in part.get_payload():
        if not isinstance(inner, Message):
            continue
        nested = _Walk(parsed=ParsedMail(), parts=walk.parts)
        _walk(inner, nested, depth=depth + 1)
        walk.parts = nested.parts
        text = "\n\n".join(nested.bodies) or "\n\n".join(nested.html_bodies)
        subject = _header(inner, "subject")
        walk.bodies.append(_("--- Forwarded message: %(subject)s ---") % {"subject": subject} + "\n" + text)
        room = max(settings.TIPLINE_MAIL_MAX_FILES - len(walk.parsed.files), 0)
        walk.parsed.files.extend(nested.parsed.files[:room])
        walk.parsed.left_out.extend(nested.parsed.left_out)
        walk.parsed.left_out.extend(
            _("The file “%(name)s” (beyond the limit of files per message).") % {"name": item.name}
            for item in nested.parsed.files[room:]
        )


def _attach(part: Message, walk: _Walk, *, name: str) -> None:
    parsed = walk.parsed
    if len(parsed.files) >= settings.TIPLINE_MAIL_MAX_FILES:
        parsed.left_out.append(_("The file “%(name)s” (beyond the limit of files per message).") % {"name": name})
        return
    try:
        data = part.get_payload(decode=True)
    except HeaderTooLong:
        raise  # the message is held whole
    except Exception:
        data = None
    if not isinstance(data, bytes) or not data:
        parsed.left_out.append(_("The file “%(name)s” (empty or unreadable).") % {"name": name})
        return
    parsed.files.append(MailFile(name=name, data=data))


def _file_name(part: Message) -> str:
    try:
        name = part.get_filename()
    except HeaderTooLong:
        raise  # the message is held whole
    except Exception:
        return ""
    return _readable(name)[:255] if name else ""


def _text(part: Message) -> str:
    """A text part decoded with its charset, or as UTF-8 with replacements when the charset
    is unknown or lies."""
    try:
        if isinstance(part, EmailMessage) and _decodable(part.get_content_charset() or "ascii"):
            content = part.get_content()
            if isinstance(content, str):
                return _readable(content)
    except (LookupError, UnicodeError, ValueError, AssertionError, KeyError):
        pass
    payload = part.get_payload(decode=True)
    return _readable(payload.decode("utf-8", "replace")) if isinstance(payload, bytes) else ""


def html_to_text(markup: str) -> str:
    """Plain text from HTML: nh3 removes every tag (and scripts and styles with their
    content); line breaks are kept where blocks ended. The result is text, never markup."""
    marked = _BLOCK_END.sub("\n", markup)
    text = html.unescape(nh3.clean(marked, tags=set()))
    lines = [line.strip() for line in text.splitlines()]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _clip(text: str, limit: int | None = None) -> str:
    limit = limit or settings.TIPLINE_MAX_ANSWER_CHARS
    return text if len(text) <= limit else text[: limit - 1] + "…"
