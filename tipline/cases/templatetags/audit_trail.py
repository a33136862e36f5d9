"""``{% load audit_trail %}``: ``{{ entry.action|action_label }}`` names an audit action,
``{{ entry|actor_label }}`` who did it."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext, pgettext

from tipline.audit.models import AuditEntry
from tipline.audit.services import SYSTEM
from tipline.cases.audit_actions import action_label as label_of

register = template.Library()


@register.filter
def action_label(code: str) -> str:
    return label_of(code)


@register.filter
def actor_label(entry: AuditEntry) -> str:
    """Who did it: a staff member's user name, or "system" in the reader's language."""
    if entry.actor_id is None and entry.actor_name == SYSTEM:
        return pgettext("the actor of an automatic step in the audit trail", "system")
    return entry.actor_name


@register.filter
def detail_value(value: object) -> str:
    """A detail as staff read it: a written reason's text, or that it was removed with its report."""
    if isinstance(value, dict) and "sha256" in value:
        return str(value.get("text", gettext("(removed with the report)")))
    return str(value)
