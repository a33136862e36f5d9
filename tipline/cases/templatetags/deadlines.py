"""The next deadline as the queue and the report page show it: days left (or overdue) and
which deadline it is. A filter, not an included template: the queue renders one a row."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from tipline.cases.selectors import Deadline

register = template.Library()


@register.filter
def deadline_text(deadline: Deadline | None) -> SafeString:
    if deadline is None:
        return mark_safe('<span class="muted">—</span>')
    if deadline.days_left < 0:
        n = deadline.days_overdue
        left = format_html("<strong>{}</strong>", ngettext("%(n)d day overdue", "%(n)d days overdue", n) % {"n": n})
    elif deadline.days_left == 0:
        left = format_html("<strong>{}</strong>", gettext("due today"))
    else:
        n = deadline.days_left
        left = format_html("{}", ngettext("%(n)d day left", "%(n)d days left", n) % {"n": n})
    return format_html(
        '<span class="deadline{}" title="{}">{} · {}</span>',
        " overdue" if deadline.is_overdue else "",
        timezone.localtime(deadline.due_at).strftime("%Y-%m-%d %H:%M"),
        left,
        deadline.kind,
    )
