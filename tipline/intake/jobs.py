"""Background work of the web form, run by ``tipline worker``."""

from __future__ import annotations

from datetime import timedelta

from tipline.intake import services
from tipline.jobs.models import Job
from tipline.jobs.registry import periodic


@periodic("intake.purge_kept_uploads", every=timedelta(hours=1))
def purge_kept_uploads(job: Job) -> None:
    """Delete the kept files of refused sends whose retry never came."""
    del job
    services.purge_stale_kept()
