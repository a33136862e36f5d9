"""Retention: closed reports are destroyed after their channel's retention time
without activity, unless on legal hold. Content and keys go; a tombstone keeps
only the statistics fields (channel, dates, status, outcome).

Supervisors are always warned first: a report is destroyed no sooner than
``WARN_DAYS_AHEAD`` days after the warning about it went out, so a report whose
retention time has already passed (a legal hold released long after closing, a
worker that was stopped) gets the same week's notice as any other.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from tipline.accounts.models import StaffUser
from tipline.audit import services as audit
from tipline.cases.exceptions import KeptFromDiscarding
from tipline.cases.models import Reminder
from tipline.cases.services import notify
from tipline.register import keyring
from tipline.register import services as register
from tipline.register.models import REPORTERS_OWN, Report

WARN_DAYS_AHEAD = 7


def retention_ends(*, report: Report) -> datetime | None:
    """When the retention time of a closed report ends (None if it is not running)."""
    if report.status != Report.Status.CLOSED or report.legal_hold or report.is_purged or report.closed_at is None:
        return None
    since = max(report.closed_at, report.last_activity_at or report.closed_at)
    return since + timedelta(days=report.channel.retention_days)


def purge_on(*, report: Report) -> datetime | None:
    """When a report is due for destruction: the end of its retention time, but never sooner
    than the warning period after the supervisors were warned. None while it never will be,
    or while no warning went out since its last activity (or since a legal hold was released)."""
    ends, warned = retention_ends(report=report), report.purge_warned_at
    if ends is None or warned is None or (report.last_activity_at is not None and warned < report.last_activity_at):
        return None
    return max(ends, warned + timedelta(days=WARN_DAYS_AHEAD))


def _candidates() -> QuerySet[Report]:
    return Report.objects.filter(
        status=Report.Status.CLOSED, legal_hold=False, purged_at__isnull=True, closed_at__isnull=False
    ).select_related("channel")


def purge_report(*, report: Report, now: datetime | None = None) -> bool:
    """Destroy the content and every key of one report, irreversibly; keep a tombstone.

    Everything that decides whether the report is due (legal hold, status, last
    activity, warning) is read again under the row lock: a hold set, or a reporter
    writing, after the report was listed keeps it. Returns whether it was destroyed.
    """
    now = now or timezone.now()
    with transaction.atomic():
        report = Report.objects.select_for_update(of=("self",)).select_related("channel").get(pk=report.pk)
        due = purge_on(report=report)
        if due is None or due > now:
            return False
        _destroy(report=report, now=now)
        audit.record(action="report.purge", report_ref=report.reference)
    return True


def can_discard(report: Report) -> bool:
    """Whether a held report may be discarded: not on legal hold, and nothing of its reporter's
    own in it yet (the sender of a held mail has a receipt, and may have written since)."""
    return not (report.legal_hold or report.messages.filter(REPORTERS_OWN).exists() or report.transcripts.exists())


def discard_held(*, report: Report, by: StaffUser, now: datetime | None = None) -> bool:
    """A supervisor discards a report held in quarantine (a mail that could not be read):
    destroyed at once like a purge, audited with who did it. False when it is no longer held."""
    with transaction.atomic():
        report = Report.objects.select_for_update(of=("self",)).get(pk=report.pk)
        if not report.quarantine or report.is_purged:
            return False
        if not can_discard(report):
            raise KeptFromDiscarding
        _destroy(report=report, now=now or timezone.now())
        audit.record(action="report.discard", actor=by, report_ref=report.reference)
    return True


def _destroy(*, report: Report, now: datetime) -> None:
    """Delete the content and every key of a report locked by the caller's transaction,
    keeping its tombstone; the store's blobs go once the transaction commits."""
    blobs = [
        *report.attachments.values_list("blob", flat=True),
        *([report.source_blob] if report.source_blob else []),
    ]
    report.attachments.all().delete()
    report.messages.all().delete()
    report.notes.all().delete()
    report.disclosure_requests.all().delete()
    report.transcripts.all().delete()
    keyring.drop_all_keys(report=report)
    report.reminders.all().delete()
    report.lookup_id = report.receipt_wrapped_key = report.answers_ct = report.identity_ct = None
    report.reply_address_ct = None
    report.form_digest = report.source_blob = report.quarantine = ""
    report.assignee = None
    report.purged_at = now
    report.save()
    audit.remove_free_text(report_ref=report.reference)
    transaction.on_commit(lambda: register.delete_blobs(names=blobs))


def purge_due(*, now: datetime | None = None) -> int:
    """Destroy every report whose retention time has passed and whose warning period is over."""
    now = now or timezone.now()
    count = 0
    for report in _candidates().filter(purge_warned_at__isnull=False).iterator(chunk_size=200):
        when = purge_on(report=report)
        if when is not None and when <= now and purge_report(report=report, now=now):
            count += 1
    return count


def warn_upcoming(*, now: datetime | None = None) -> int:
    """Tell supervisors, once per report and date, which reports will be destroyed soon,
    and on which date: the end of retention, or a full warning period from now if that
    is later."""
    now = now or timezone.now()
    count = 0
    for report in _candidates().filter(Q(purge_warned_at__isnull=True) | Q(purge_warned_at__lt=F("last_activity_at"))):
        ends = retention_ends(report=report)
        if ends is None or ends > now + timedelta(days=WARN_DAYS_AHEAD):
            continue
        when = max(ends, now + timedelta(days=WARN_DAYS_AHEAD))
        with transaction.atomic():
            _, created = Reminder.objects.get_or_create(report=report, due_at=when, level=Reminder.Level.PURGE)
            if created:
                Report.objects.filter(pk=report.pk).update(purge_warned_at=now)
                notify.queue_staff_email(
                    users=notify.supervisors(report=report),
                    kind="purge_ahead",
                    report=report,
                    extra={"purge_on": when.date().isoformat()},
                )
                count += 1
    return count


def restart_warning(*, report: Report) -> None:
    """Forget that supervisors were warned (when a legal hold is released): the report gets
    a new warning and the full warning period before it can be destroyed. Runs in the
    caller's transaction, with the report row locked."""
    report.reminders.filter(level=Reminder.Level.PURGE).delete()
    Report.objects.filter(pk=report.pk).update(purge_warned_at=None)
    report.purge_warned_at = None
