"""``{% load audit_trail %}``: ``{{ entry.action|action_label }}`` names an audit action."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext

from tipline.cases.audit_actions import action_label as label_of

register = template.Library()


@register.filter
def action_label(code: str) -> str:
    return label_of(code)


@register.filter
def detail_value(value: object) -> str:
    """A detail as staff read it: a written reason's text, or that it was removed with its report."""
    if isinstance(value, dict) and "sha256" in value:
        return str(value.get("text", gettext("(removed with the report)")))
    return str(value)
