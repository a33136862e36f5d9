"""Markdown to safe HTML.

Editors write Markdown (raw HTML allowed); the result is passed through nh3 with an
allow-list, so scripts, event handlers, styles and ``javascript:``/``data:`` links never
reach a page. What the allow-list takes out of raw HTML is listed for the editor
(``Rendered.removed``): nothing disappears without them being told. Images must be
ones uploaded here (``![text](image:12)``) and must carry a text alternative.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser

import nh3
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt
from markdown_it.token import Token

from tipline.publishing.images import NAME_PATTERN
from tipline.publishing.models import Image

MEDIA_PREFIX = "/media/publishing/"
# The whole address of a stored image, exactly as ``Image.url`` makes it: a prefix match
# would let ``/media/publishing/../../console/…`` make a staff browser call the console.
_OUR_IMAGE = re.compile(re.escape(MEDIA_PREFIX) + NAME_PATTERN)
_IMAGE_REF = re.compile(r"^image:(\d{1,12})$")
_ALIGN = re.compile(r"text-align:\s*(left|center|right)")

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "em", "strong", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "sup", "sub", "abbr",
    "dl", "dt", "dd", "details", "summary", "figure", "figcaption", "span",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "*": {"lang", "dir", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height", "loading"},
    "ol": {"start"},
}
_ALIGNMENTS = {"align-left", "align-center", "align-right"}
ALLOWED_CLASSES = {"th": _ALIGNMENTS, "td": _ALIGNMENTS}
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# Removed with everything inside them, not only the tags.
CLEAN_CONTENT_TAGS = {"script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math"}
MAX_REMOVED_NOTES = 20


_SAFE_LINK = re.compile(r"^(?:https?:|mailto:|tel:|/|#|\?|\.{0,2}/|[^:/?#]*(?:[/?#]|$))", re.IGNORECASE)


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable(["table", "strikethrough"])
    # Let every link become a token, so a forbidden one is reported to the editor
    # (markdown-it would silently print it as text); nh3 still strips what slips through.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md


_MD = _markdown()


@dataclass
class Rendered:
    html: str
    problems: list[str] = field(default_factory=list)
    image_ids: set[int] = field(default_factory=set)
    # What the sanitiser took out of raw HTML, one note each, for the editor; the rest is kept.
    removed: list[str] = field(default_factory=list)


def is_our_image(source: str) -> bool:
    """Whether ``source`` is the address of an image stored here, and nothing more."""
    return _OUR_IMAGE.fullmatch(source) is not None


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src" and not is_our_image(value):
        return None
    return value


def sanitise(fragment: str) -> str:
    """The allow-listed subset of an HTML fragment."""
    return nh3.clean(
        fragment,
        tags=ALLOWED_TAGS,
        clean_content_tags=CLEAN_CONTENT_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute_filter,
        url_schemes=URL_SCHEMES,
        allowed_classes=ALLOWED_CLASSES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def _walk(tokens: Iterable[Token]) -> Iterable[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def _resolve_images(tokens: list[Token], rendered: Rendered, lookup: Callable[[set[int]], dict[int, Image]]) -> None:
    images = [token for token in _walk(tokens) if token.type == "image"]
    wanted = {int(m.group(1)) for t in images if (m := _IMAGE_REF.match(str(t.attrGet("src") or "")))}
    known = lookup(wanted) if wanted else {}
    for token in images:
        source = str(token.attrGet("src") or "")
        match = _IMAGE_REF.match(source)
        image = known.get(int(match.group(1))) if match else None
        if image is not None:
            token.attrSet("src", image.url)
            token.attrSet("width", str(image.width))
            token.attrSet("height", str(image.height))
            token.attrSet("loading", "lazy")
            rendered.image_ids.add(image.pk)
        elif match:
            rendered.problems.append(_("Image %(ref)s does not exist; upload it first.") % {"ref": source})
            _drop_image(token)
        elif not is_our_image(source):
            rendered.problems.append(
                _("Only images uploaded here can be shown; %(src)s is not one of them.") % {"src": source[:80]}
            )
            _drop_image(token)


def _check_links(tokens: list[Token], rendered: Rendered) -> None:
    for token in _walk(tokens):
        if token.type != "link_open":
            continue
        target = str(token.attrGet("href") or "").strip()
        if not _SAFE_LINK.match(target):
            rendered.problems.append(
                _("Links may go to web pages, e-mail addresses or phone numbers only; not to %(link)s.")
                % {"link": target[:40]}
            )
            token.attrs.pop("href", None)


def _drop_image(token: Token) -> None:
    """Show a refused image's text alternative instead of a broken image."""
    alt = "".join(child.content for child in token.children or [])
    token.type, token.tag, token.content, token.children, token.attrs = "text", "", alt, None, {}


def _adjust_blocks(tokens: list[Token]) -> None:
    for token in tokens:
        # The page title is the only h1: Markdown headings start at h2.
        if token.type in {"heading_open", "heading_close"}:
            level = min(int(token.tag[1]) + 1, 6)
            token.tag = f"h{level}"
        # Inline styles are forbidden by the CSP; alignment becomes a class.
        if token.type in {"th_open", "td_open"}:
            style = str(token.attrGet("style") or "")
            if match := _ALIGN.search(style):
                token.attrSet("class", f"align-{match.group(1)}")
            if token.attrs:
                token.attrs.pop("style", None)


class _ImageAudit(HTMLParser):
    """Finds images in sanitised HTML that lack a text alternative."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.unlabelled = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img" and not (dict(attrs).get("alt") or "").strip():
            self.unlabelled += 1


def _kept_url(tag: str, attribute: str, value: str) -> bool:
    """Whether ``sanitise`` keeps this link or image address: asked of nh3 itself, so the
    editor is told exactly what it removes."""
    probe = sanitise(f'<{tag} {attribute}="{html.escape(value)}">')
    return f" {attribute}=" in probe


class _RemovalAudit(HTMLParser):
    """Lists what ``sanitise`` will take out of an HTML fragment, in words for the editor.

    Markdown's own links and images are checked before rendering (and refused with a
    reason), so what is found here comes from raw HTML in the text.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.removed: list[str] = []
        self._inside: str | None = None  # an element removed with its content
        self._depth = 0

    def _note(self, text: str) -> None:
        if text not in self.removed and len(self.removed) < MAX_REMOVED_NOTES:
            self.removed.append(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._inside is not None:
            self._depth += tag == self._inside
            return
        if tag in CLEAN_CONTENT_TAGS:
            self._note(_("the element <%(tag)s> and everything in it") % {"tag": tag})
            if tag != "embed":  # a void element: no content, no end tag
                self._inside, self._depth = tag, 1
            return
        if tag not in ALLOWED_TAGS:
            self._note(_("the tag <%(tag)s> (its text was kept)") % {"tag": tag})
        for name, value in attrs:
            self._check_attribute(tag, name, value or "")

    def handle_endtag(self, tag: str) -> None:
        if self._inside == tag:
            self._depth -= 1
            if self._depth == 0:
                self._inside = None

    def _check_attribute(self, tag: str, name: str, value: str) -> None:
        shown = " ".join(value.split())[:80]
        if name.startswith("on"):
            self._note(_("the event handler %(attribute)s on <%(tag)s>") % {"attribute": name, "tag": tag})
        elif name == "style":
            self._note(_("the inline style on <%(tag)s>") % {"tag": tag})
        elif tag == "a" and name == "href" and not _kept_url(tag, name, value):
            self._note(
                _("the link target %(link)s: links may go to web pages, e-mail addresses or phone numbers only")
                % {"link": shown}
            )
        elif tag == "img" and name == "src" and not _kept_url(tag, name, value):
            self._note(_("the image source %(src)s: only images uploaded here can be shown") % {"src": shown})


def _default_lookup(ids: set[int]) -> dict[int, Image]:
    return {image.pk: image for image in Image.objects.filter(pk__in=ids)}


def render_markdown(text: str, *, lookup: Callable[[set[int]], dict[int, Image]] = _default_lookup) -> Rendered:
    """Render ``text`` to sanitised HTML and list what breaks the content rules."""
    rendered = Rendered(html="")
    tokens = _MD.parse(text)
    _adjust_blocks(tokens)
    _check_links(tokens, rendered)
    _resolve_images(tokens, rendered, lookup)
    unsafe = _MD.renderer.render(tokens, _MD.options, {})
    removals = _RemovalAudit()
    removals.feed(unsafe)
    removals.close()
    rendered.removed = removals.removed
    rendered.html = sanitise(unsafe)
    audit = _ImageAudit()
    audit.feed(rendered.html)
    if audit.unlabelled:
        rendered.problems.append(
            _("Every image needs a text alternative: write it between the brackets, as in ![A signed form](image:12).")
        )
    return rendered


def removed_markup(*texts: str) -> list[str]:
    """What the sanitiser takes out of the raw HTML in these Markdown texts, each said once."""
    notes: list[str] = []
    for text in texts:
        for note in render_markdown(text, lookup=lambda ids: {}).removed:
            if note not in notes:
                notes.append(note)
    return notes


def plain_text(fragment: str) -> str:
    """The words of an HTML fragment, for search and for e-mails."""
    return html.unescape(nh3.clean(fragment, tags=set()))
