"""Periodic housekeeping that runs in ``tipline worker``.

``intake.housekeeping`` is registered here, calling intake's own services, until the
intake app declares it in ``tipline/intake/jobs.py`` (move it there then; registering a
kind twice fails loudly at start-up).
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tipline.intake import services as intake
from tipline.jobs import services
from tipline.jobs.models import Job
from tipline.jobs.registry import periodic


@periodic("intake.housekeeping", every=timedelta(hours=1))
def intake_housekeeping(job: Job) -> None:
    """Delete held files nobody decided on, and blobs a crash left without a row.

    Both steps delete only what is already stale, so running twice is harmless.
    """
    intake.purge_stale_held()
    intake.sweep_orphan_blobs()


@periodic("jobs.housekeeping", every=timedelta(days=1))
def jobs_housekeeping(job: Job) -> None:
    """Forget finished jobs and old job-scoped effect markers (see ``services.purge_finished``)."""
    services.purge_finished(now=timezone.now())
