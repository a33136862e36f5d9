"""Background work of the call-taker's screen, run by ``tipline worker``."""

from __future__ import annotations

from datetime import timedelta

from tipline.calls import claims
from tipline.jobs.models import Job
from tipline.jobs.registry import periodic


@periodic("calls.forget_claims", every=timedelta(hours=1))
def forget_claims(job: Job) -> None:
    """Delete the claims of the call-taker's screen that outlived their use (see :mod:`claims`)."""
    claims.forget_old()
