"""Background work of the register, run by ``tipline worker``."""

from __future__ import annotations

from datetime import timedelta

from tipline import session_vault
from tipline.jobs.models import Job
from tipline.jobs.registry import periodic
from tipline.register import services


@periodic("register.housekeeping", every=timedelta(hours=1))
def housekeeping(job: Job) -> None:
    """Delete held files nobody decided on, blobs a crash left without a row, expired sessions
    and the form-page digests past their use.

    Every step deletes only what is already stale, so running twice is harmless.
    """
    services.purge_stale_held()
    services.sweep_orphan_blobs()
    session_vault.forget_expired_sessions()
    services.forget_form_digests()
