"""Upkeep the workers do between jobs: periodic jobs enqueued when their slot comes,
jobs lost on their last attempt buried, finished jobs and old markers purged."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction

from tipline.jobs.models import Job, JobState, PeriodicSchedule
from tipline.jobs.registry import periodic_jobs
from tipline.jobs.schedules import as_utc
from tipline.jobs.services.effects import forget_effects
from tipline.jobs.services.queue import enqueue

log = logging.getLogger("tipline.jobs")


def schedule_periodic(*, now: datetime) -> list[Job]:
    """Enqueue every periodic kind whose slot has come; returns the jobs enqueued.

    Each kind's next slot is a row advanced by compare-and-set in the same transaction
    as the enqueue, so however many workers call this, a slot is enqueued once. Slots
    missed while no worker ran are coalesced into one run, and a new slot whose previous
    job has not finished yet joins it (dedupe key ``periodic:<kind>``).
    """
    now = as_utc(now, "now")
    enqueued: list[Job] = []
    for spec in periodic_jobs():
        row, _ = PeriodicSchedule.objects.get_or_create(
            kind=spec.kind, defaults={"next_run_at": spec.schedule.next_after(now)}
        )
        slot = row.next_run_at
        if slot > now:
            continue
        with transaction.atomic():
            advanced = PeriodicSchedule.objects.filter(pk=row.pk, next_run_at=slot).update(
                next_run_at=spec.schedule.next_after(now)
            )
            if advanced:
                enqueued.append(
                    enqueue(
                        kind=spec.kind,
                        payload={"slot": slot.isoformat()},
                        run_at=slot,
                        dedupe_key=f"periodic:{spec.kind}",
                        max_attempts=spec.max_attempts,
                    )
                )
    return enqueued


def purge_finished(
    *,
    now: datetime,
    keep_done: timedelta = timedelta(days=7),
    keep_dead: timedelta = timedelta(days=90),
    keep_markers: timedelta = timedelta(days=90),
) -> int:
    """Delete finished jobs, and job-scoped effect markers, past their keeping time;
    returns the rows deleted. Markers with keys of the apps' own are left alone."""
    now = as_utc(now, "now")
    done, _ = Job.objects.filter(state=JobState.DONE, finished_at__lt=now - keep_done).delete()
    dead, _ = Job.objects.filter(state=JobState.DEAD, finished_at__lt=now - keep_dead).delete()
    markers = forget_effects(key_prefix="job-", older_than=now - keep_markers)
    return done + dead + markers


def reap_abandoned(*, now: datetime) -> int:
    """Mark ``dead`` the jobs whose worker was lost on their last allowed attempt."""
    now = as_utc(now, "now")
    lost = Job.objects.abandoned_for_good(now)
    if not lost.exists():  # a read: no write lock taken on SQLite when there is nothing to do
        return 0
    return lost.update(
        state=JobState.DEAD, finished_at=now, locked_until=None, last_error="lease expired on the last attempt"
    )


def _upkeep(*, now: datetime) -> None:
    reaped = reap_abandoned(now=now)
    if reaped:
        log.warning("%s jobs lost their worker on their last attempt and are now dead", reaped)
    for job in schedule_periodic(now=now):
        log.info("job %s %s scheduled for %s", job.pk, job.kind, job.run_at.isoformat())
