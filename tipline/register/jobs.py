"""Background work of the register, run by ``tipline worker``."""

from __future__ import annotations

from datetime import timedelta

from tipline.jobs.models import Job
from tipline.jobs.registry import periodic
from tipline.register import services


@periodic("register.housekeeping", every=timedelta(hours=1))
def housekeeping(job: Job) -> None:
    """Tidy up what waits only to be deleted (see :func:`services.tidy_up`)."""
    services.tidy_up()
