"""Retention: closed reports are destroyed after their channel's retention time
without activity, unless on legal hold. Content and keys go; a tombstone keeps
only the statistics fields (channel, dates, status, outcome)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from tipline.audit import services as audit
from tipline.cases import notify
from tipline.cases.models import Reminder
from tipline.intake import services as intake
from tipline.intake.models import Report

WARN_DAYS_AHEAD = 7


def purge_on(report: Report) -> datetime | None:
    """When a closed report becomes due for destruction (None if it never will be now)."""
    if report.status != Report.Status.CLOSED or report.legal_hold or report.is_purged or report.closed_at is None:
        return None
    since = max(report.closed_at, report.last_activity_at or report.closed_at)
    return since + timedelta(days=report.channel.retention_days)


def _candidates() -> QuerySet[Report]:
    return Report.objects.filter(
        status=Report.Status.CLOSED, legal_hold=False, purged_at__isnull=True, closed_at__isnull=False
    ).select_related("channel")


def purge_report(*, report: Report, now: datetime | None = None) -> None:
    """Destroy the content and every key of one report, irreversibly; keep a tombstone."""
    now = now or timezone.now()
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        if report.is_purged:
            return
        blobs = list(report.attachments.values_list("blob", flat=True))
        report.attachments.all().delete()
        report.messages.all().delete()
        report.notes.all().delete()
        report.disclosure_requests.all().delete()
        report.key_grants.all().delete()
        report.identity_grants.all().delete()
        report.reminders.all().delete()
        report.lookup_id = report.receipt_wrapped_key = report.answers_ct = report.identity_ct = None
        report.assignee = None
        report.purged_at = now
        report.save()
        audit.record(action="report.purge", report_ref=report.reference)
        transaction.on_commit(lambda: intake.delete_blobs(blobs))


def purge_due(*, now: datetime | None = None) -> int:
    """Destroy every report whose retention time has passed."""
    now = now or timezone.now()
    count = 0
    for report in _candidates().iterator(chunk_size=200):
        when = purge_on(report)
        if when is not None and when <= now:
            purge_report(report=report, now=now)
            count += 1
    return count


def warn_upcoming(*, now: datetime | None = None, days_ahead: int = WARN_DAYS_AHEAD) -> int:
    """Tell supervisors, once per report and date, which reports will be destroyed soon."""
    now = now or timezone.now()
    count = 0
    for report in _candidates().filter(Q(purge_warned_at__isnull=True) | Q(purge_warned_at__lt=F("last_activity_at"))):
        when = purge_on(report)
        if when is None or not now < when <= now + timedelta(days=days_ahead):
            continue
        with transaction.atomic():
            _, created = Reminder.objects.get_or_create(report=report, due_at=when, level=Reminder.Level.PURGE)
            if created:
                Report.objects.filter(pk=report.pk).update(purge_warned_at=now)
                notify.queue_staff_email(
                    users=notify.supervisors(),
                    kind="purge_ahead",
                    report=report,
                    extra={"purge_on": when.date().isoformat()},
                )
                count += 1
    return count
