"""``{% load punctuation %}``: punctuation as the page's language writes it.

``{{ text|bracketed }}`` puts a text in brackets: "(phone)" in English, full-width brackets in
Chinese. ``{% sentence_space %}`` is the space after a sentence or a label ending in a colon,
where what follows is a separate text: one space in English, none in Chinese."""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import pgettext

register = template.Library()


@register.filter
def bracketed(text: object) -> SafeString:
    shape = pgettext("a text in brackets, as the language writes them", "(%(text)s)")
    return mark_safe(shape % {"text": conditional_escape(text if isinstance(text, str) else str(text))})  # noqa: S308 - the text is escaped, the shape is ours


@register.simple_tag
def sentence_space() -> str:
    """The space between a sentence (or a label such as "Error:") and the text after it, where the
    two are translated apart: ``{% translate "Off." %}{% sentence_space %}{% translate "Your role
    needs it." %}``. One space in English; none in Chinese, whose full-width full stop and colon
    carry their own room.

    It is the gap of a translated shape, so that each catalogue says whether its language puts
    a space there (gettext cannot translate a lone space into nothing)."""
    shape = pgettext("a sentence or a label, then the text after it, as the language joins them", "%(first)s %(then)s")
    return shape % {"first": "", "then": ""}
