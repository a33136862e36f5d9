"""``{% load audit_trail %}``: ``{{ entry.action|action_label }}`` names an audit action."""

from __future__ import annotations

from django import template

from tipline.cases.audit_actions import action_label as label_of

register = template.Library()


@register.filter
def action_label(code: str) -> str:
    return label_of(code)
