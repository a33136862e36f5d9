"""The job runner's own periodic housekeeping (apps declare theirs in ``<app>/jobs.py``)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tipline.jobs import services
from tipline.jobs.models import Job
from tipline.jobs.registry import periodic


@periodic("jobs.housekeeping", every=timedelta(days=1))
def jobs_housekeeping(job: Job) -> None:
    """Forget finished jobs and old job-scoped effect markers (see ``services.purge_finished``)."""
    services.purge_finished(now=timezone.now())
