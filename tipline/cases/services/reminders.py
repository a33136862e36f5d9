"""Deadline reminders: first to the assignee before the deadline, then to the
supervisors once it has passed. Each goes out once (a unique Reminder row)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from tipline.accounts.models import StaffUser
from tipline.cases.models import Reminder
from tipline.cases.services import notify
from tipline.register.models import Report

DUE_SOON = timedelta(days=2)


def _remind(report: Report, due_at: datetime, level: str, users: list[StaffUser]) -> bool:
    if Reminder.objects.filter(report=report, due_at=due_at, level=level).exists():
        return False
    try:
        with transaction.atomic():
            Reminder.objects.create(report=report, due_at=due_at, level=level)
            notify.queue_staff_email(users=users, kind=level, report=report)
    except IntegrityError:  # another worker got there first
        return False
    return True


def send_deadline_reminders(*, now: datetime | None = None) -> int:
    """Queue reminder e-mails for deadlines coming up or missed; return how many were queued."""
    now = now or timezone.now()
    sent = 0
    live = Report.objects.live().open().filter(next_due_at__isnull=False).select_related("assignee")
    for report in live.filter(next_due_at__gte=now, next_due_at__lt=now + DUE_SOON, assignee__isnull=False):
        if report.next_due_at and report.assignee:
            sent += _remind(report, report.next_due_at, Reminder.Level.DUE_SOON, [report.assignee])
    for report in live.filter(next_due_at__lt=now):
        if report.next_due_at:
            sent += _remind(report, report.next_due_at, Reminder.Level.OVERDUE, notify.supervisors(report=report))
    return sent
