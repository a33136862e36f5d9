"""The next deadline as the queue and the report page show it: days left (or overdue) and
which deadline it is. A filter, not an included template: the queue renders one a row."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from tipline.cases.markup import esc
from tipline.cases.selectors import Deadline

register = template.Library()


@register.filter
def deadline_text(deadline: Deadline | None) -> SafeString:
    if deadline is None:
        return mark_safe('<span class="muted">—</span>')
    # The texts are translated outside the f-strings: makemessages does not read inside them.
    if deadline.days_left < 0:
        n = deadline.days_overdue
        text = ngettext("%(n)d day overdue", "%(n)d days overdue", n) % {"n": n}
        left = f"<strong>{esc(text)}</strong>"
    elif deadline.days_left == 0:
        text = gettext("due today")
        left = f"<strong>{esc(text)}</strong>"
    else:
        n = deadline.days_left
        left = esc(ngettext("%(n)d day left", "%(n)d days left", n) % {"n": n})
    due = timezone.localtime(deadline.due_at).strftime("%Y-%m-%d %H:%M")
    overdue = " overdue" if deadline.is_overdue else ""
    return mark_safe(  # noqa: S308  # every value escaped
        f'<span class="deadline{overdue}" title="{due}">{left} · {esc(deadline.kind)}</span>'
    )
