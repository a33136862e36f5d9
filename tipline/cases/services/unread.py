"""What each staff member has not seen yet: a report never opened, or a reporter's
message newer than their last opening. Computed from state, so nothing is lost when an
alert e-mail fails."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from tipline.accounts.models import StaffUser
from tipline.cases.models import ReportSeen
from tipline.register import services as register
from tipline.register.models import Report


def mark_seen(*, report: Report, user: StaffUser, now: datetime | None = None) -> datetime | None:
    """``user`` opened ``report`` and read it: its messages are read for them. A report
    acknowledged automatically becomes acknowledged now that a person has opened it.
    Returns when they had last seen it (None: never), so the page can mark what is new."""
    now = now or timezone.now()
    previous = ReportSeen.objects.filter(report=report, user=user).values_list("seen_at", flat=True).first()
    try:
        with transaction.atomic():
            updated = ReportSeen.objects.filter(report=report, user=user).update(seen_at=now)
            if not updated:
                ReportSeen.objects.create(report=report, user=user, seen_at=now)
    except IntegrityError:  # the same person opened it twice at once: one row is enough
        ReportSeen.objects.filter(report=report, user=user).update(seen_at=now)
    register.take_up_acknowledged(report=report)
    return previous
