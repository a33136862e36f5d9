"""Background work of the mailbox channel, run by ``tipline worker``."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from tipline.jobs.models import Job
from tipline.jobs.registry import periodic
from tipline.mailbox import services


@periodic("mailbox.poll", every=timedelta(seconds=settings.TIPLINE_MAIL_POLL_SECONDS))
def poll(job: Job) -> None:
    """Read every mailbox channel's mailbox (see :func:`services.poll_all`)."""
    services.poll_all()
