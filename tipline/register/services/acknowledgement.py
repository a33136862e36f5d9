"""Acknowledging a report: by a handler, or automatically on receipt."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from tipline.accounts.models import StaffUser
from tipline.register.models import Channel, Message, Report
from tipline.register.services.content import add_message


def default_acknowledgement() -> str:
    return _(
        "Thank you. Your report was received and is being handled. We will write here when we have "
        "questions or news. Please come back from time to time with your receipt."
    )


def acknowledgement_message(*, report: Report) -> str:
    return acknowledgement_message_for(channel=report.channel)


def acknowledgement_message_for(*, channel: Channel) -> str:
    return channel.acknowledgement_text.strip() or default_acknowledgement()


def apply_acknowledgement(*, report: Report, report_key: bytes, now: datetime, author: StaffUser | None) -> Message:
    """Acknowledge and tell the reporter (caller's transaction).

    By a person (``author``): the report is acknowledged and the feedback deadline is the
    next one. Automatically on receipt (no author): the reporter is told and the feedback
    deadline is counted from now, but the report stays new, with its acknowledgement
    deadline as the next one, until a person opens it (:func:`take_up_acknowledged`):
    an automatic answer is not a person reading the report."""
    for name, value in report.acknowledged(now, by_person=author is not None).items():
        setattr(report, name, value)
    report.last_activity_at = now
    report.save(
        update_fields=["status", "acknowledged_at", "feedback_due_at", "next_due_at", "last_activity_at", "updated_at"]
    )
    return add_message(
        report=report,
        report_key=report_key,
        body=acknowledgement_message(report=report),
        author=author,
        automatic=author is None,
    )


def is_waiting_for_a_person(report: Report) -> bool:
    """Acknowledged automatically, and no person has opened it yet."""
    return report.status == Report.Status.NEW and report.acknowledged_at is not None


def take_up_acknowledged(*, report: Report) -> bool:
    """The first person opened a report acknowledged automatically: it is acknowledged
    now, and the feedback deadline becomes the next one. True when it changed."""
    changed = Report.objects.filter(pk=report.pk, status=Report.Status.NEW, acknowledged_at__isnull=False).update(
        status=Report.Status.ACKNOWLEDGED, next_due_at=report.feedback_due_at
    )
    if changed:
        report.status = Report.Status.ACKNOWLEDGED
        report.next_due_at = report.feedback_due_at
    return bool(changed)
