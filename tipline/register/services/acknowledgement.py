"""Acknowledging a report: by a handler, or automatically on receipt."""

from __future__ import annotations

from datetime import datetime

from django.utils.translation import gettext as _

from tipline.accounts.models import StaffUser
from tipline.register import deadlines
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
    """Mark acknowledged, start the feedback deadline and tell the reporter (caller's transaction)."""
    report.status = Report.Status.ACKNOWLEDGED
    report.acknowledged_at = now
    report.feedback_due_at = deadlines.due_after_months(now, report.channel.feedback_months)
    report.next_due_at = report.feedback_due_at
    report.last_activity_at = now
    report.save(
        update_fields=["status", "acknowledged_at", "feedback_due_at", "next_due_at", "last_activity_at", "updated_at"]
    )
    return add_message(report=report, report_key=report_key, body=acknowledgement_message(report=report), author=author)
