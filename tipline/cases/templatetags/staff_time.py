"""Times of a reporter's doings as staff see them: rounded (DESIGN: the exact time is kept
but never shown where it could help identify a caller or a writer)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.formats import date_format

register = template.Library()


@register.filter
def reporter_time(value: datetime | None) -> str:
    """The hour a reporter wrote, not the minute: ``2026-12-06 14:00``."""
    if value is None:
        return ""
    local = timezone.localtime(value).replace(minute=0, second=0, microsecond=0)
    return date_format(local, "Y-m-d H:00")


@register.filter
def message_time(message: Any) -> str:
    """When a message was written, as staff see it: a person's on staff to the minute; the
    reporter's, and the organisation's automatic one (written the moment the report
    arrived), to the hour."""
    if getattr(message, "author_id", None) is not None:
        return date_format(timezone.localtime(message.created_at), "Y-m-d H:i")
    return reporter_time(message.created_at)
