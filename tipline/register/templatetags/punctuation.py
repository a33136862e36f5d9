"""``{% load punctuation %}``: ``{{ text|bracketed }}`` puts a text in brackets as the page's
language writes them: "(phone)" in English, full-width brackets in Chinese."""

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
