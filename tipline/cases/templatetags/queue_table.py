"""The queue's table body, written in Python rather than in the template language: a page
holds rows of eight cells, and the template language took about 0.2 ms a row for them
(11 ms for fifty, a fifth of the queue's time budget). The markup is the one the template
wrote; the tests check it cell by cell."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from tipline.cases.forms import field_group
from tipline.cases.markup import esc
from tipline.cases.selectors import RowMarks, RowNames
from tipline.cases.templatetags.deadlines import deadline_text
from tipline.register.models import Report

register = template.Library()
register.filter("field_group", field_group)

DASH = mark_safe('<span class="muted">—</span>')
# Any string of letters and digits: the reference's place in the detail page's address.
PLACEHOLDER = "REFERENCE0"


def _labels(names: list[str]) -> str:
    if not names:
        return DASH
    return "".join(f'<span class="tag">{esc(name)}</span> ' for name in names)


@register.simple_tag
def queue_body(rows: Iterable[tuple[Report, RowMarks, str]], names: RowNames) -> SafeString:
    """The ``<tr>`` of each (report, marks, subject) of a queue page."""
    detail = reverse("cases:detail", args=[PLACEHOLDER])
    unread_text, replied_text = gettext("unread"), gettext("reporter replied")  # outside f-strings: makemessages
    held_text = gettext("held")
    unread = f' <span class="mark mark-unread">{esc(unread_text)}</span>'
    replied = f' <span class="mark mark-replied">{esc(replied_text)}</span>'
    held = f' <span class="mark mark-replied">{esc(held_text)}</span>'
    statuses = {value: esc(str(label)) for value, label in Report.Status.choices}
    html = []
    for report, mark, subject in rows:
        classes = ("unread" if mark.unread else "") + (" overdue" if mark.deadline and mark.deadline.is_overdue else "")
        reference = esc(report.reference)
        assignee = names.staff.get(report.assignee_id, "—") if report.assignee_id else "—"
        html.append(
            f'<tr class="{classes}"><td class="nowrap"><a href="{esc(detail.replace(PLACEHOLDER, report.reference))}">'
            f"{reference}</a>{unread if mark.unread else ''}{replied if mark.replied else ''}</td>"
            f'<td class="subject">{esc(subject or "—")}</td>'
            f"<td>{esc(names.channels.get(report.channel_id, ''))}</td>"
            f"<td>{_labels(names.labels.get(report.pk, []))}</td>"
            f'<td class="nowrap">{statuses.get(report.status) or esc(report.status)}'
            f"{held if report.quarantine else ''}</td>"
            f'<td class="nowrap">{timezone.localtime(report.created_at).strftime("%Y-%m-%d")}</td>'
            f'<td class="nowrap">{deadline_text(mark.deadline)}</td><td>{esc(assignee)}</td></tr>\n'
        )
    return mark_safe("".join(html))  # noqa: S308  # every value escaped
