"""E-mail to staff about their work. Never any report content: only the
reference, what happened, a due date, and a link to the console."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import translation

from tipline.accounts.models import Role, StaffUser
from tipline.cases.models import Exclusion
from tipline.register.models import Report

KINDS = frozenset({"assigned", "due_soon", "overdue", "purge_ahead", "disclosure_requested", "disclosure_decided"})


def queue_staff_email(
    *, users: list[StaffUser], kind: str, report: Report, extra: dict[str, Any] | None = None
) -> None:
    """Queue one e-mail job per recipient, in the caller's transaction. Nobody excluded
    from the report hears about it (not even its reference)."""
    from tipline.jobs.services import enqueue  # noqa: PLC0415 - jobs registers handlers from cases

    excluded = set(Exclusion.objects.filter(report=report).values_list("user_id", flat=True))
    for user in users:
        if user.email and user.is_active and user.pk not in excluded:
            enqueue(
                kind="cases.staff_email",
                payload={"user_id": user.pk, "kind": kind, "report_id": report.pk, **(extra or {})},
            )


def supervisors(*, report: Report) -> list[StaffUser]:
    """The active supervisors who may hear about ``report``: those excluded from it are left out."""
    return list(
        StaffUser.objects.filter(is_active=True, role_grants__role=Role.SUPERVISOR)
        .exclude(exclusions__report=report)
        .distinct()
    )


def send_staff_email(*, user: StaffUser, kind: str, report: Report, extra: dict[str, Any]) -> None:
    """Render and send one notification e-mail (called by the job handler)."""
    context = {
        "user": user,
        "kind": kind,
        "reference": report.reference,
        "link": f"{settings.TIPLINE_SITE_URL}/console/reports/{report.reference}/",
        "due": report.next_due_at,
        **extra,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("cases/email/subject.txt", context).strip()
        body = render_to_string("cases/email/body.txt", context)
    EmailMessage(subject=subject, body=body, to=[user.email]).send()
