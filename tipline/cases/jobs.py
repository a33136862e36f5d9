"""Background work of the console, run by ``tipline worker``."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connection

from tipline.accounts.models import StaffUser
from tipline.cases import services
from tipline.cases.models import Exclusion
from tipline.cases.services import alerts
from tipline.jobs.models import Job
from tipline.jobs.registry import job_handler, periodic
from tipline.jobs.services import once
from tipline.register.models import Report


@job_handler("cases.staff_email")
def staff_email(job: Job) -> None:
    """One notification e-mail, sent at most once even if the job is retried."""
    payload = job.payload
    user = StaffUser.objects.filter(pk=payload["user_id"], is_active=True).first()
    report = Report.objects.filter(pk=payload["report_id"]).first()
    if user is None or report is None or not user.email:
        return
    if Exclusion.objects.filter(report=report, user=user).exists():  # excluded after the e-mail was queued
        return
    extra = {k: v for k, v in payload.items() if k not in {"user_id", "kind", "report_id"}}
    with once(key=job.effect_key("mail")) as first:
        if first:
            services.send_staff_email(user=user, kind=str(payload["kind"]), report=report, extra=extra)


@periodic("cases.deadline_reminders", every=timedelta(minutes=15))
def deadline_reminders(job: Job) -> None:
    services.send_deadline_reminders()


@periodic("cases.retention", every=timedelta(hours=1))
def retention_run(job: Job) -> None:
    services.warn_upcoming()
    services.purge_due()


@periodic("cases.planner_statistics", every=timedelta(hours=6))
def planner_statistics(job: Job) -> None:
    """Keep SQLite's query planner statistics fresh so the queue uses the right index
    (PostgreSQL's autovacuum does this by itself)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA optimize")


@job_handler("cases.alert_mail")
def alert_mail(job: Job) -> None:
    """One alert (digest or immediate), written from the state when it is sent, at most once."""
    user = StaffUser.objects.filter(pk=job.payload["user_id"]).first()
    if user is None:
        return
    with once(key=job.effect_key("mail")) as first:
        if first:
            alerts.send_alert(user=user, kind=str(job.payload["kind"]))


def _digest(job: Job) -> None:
    """Queue this slot's digest for everyone who chose it (atomic: once per slot)."""
    alerts.queue_digest(slot=str(job.payload.get("slot", "")))


# One periodic job per digest time, in the organisation's time zone.
for _at in settings.TIPLINE_ALERT_DIGEST_TIMES:
    periodic(f"cases.alert_digest_{_at:%H%M}", daily_at=_at, tz=settings.TIME_ZONE, atomic=True)(_digest)


@periodic("cases.alert_immediate", every=timedelta(seconds=settings.TIPLINE_ALERT_IMMEDIATE_SECONDS), atomic=True)
def alert_immediate(job: Job) -> None:
    alerts.queue_immediate()
