"""Someone excluded from a report (conflict of interest) is never e-mailed about it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from tipline.accounts import services as accounts
from tipline.accounts.models import Role, StaffUser
from tipline.cases.services import disclosure, reminders, retention, workflow
from tipline.conftest import PASSWORD, Setup
from tipline.jobs.models import Job
from tipline.jobs.services import run_one
from tipline.register import services as register
from tipline.register.models import Outcome, Report


@pytest.fixture
def excluded(org: Setup) -> StaffUser:
    """A second supervisor, with an e-mail address like the first."""
    org.supervisor.email = "sup@example.org"
    org.supervisor.save()
    return accounts.create_staff(username="sup2", password=PASSWORD, roles=[Role.SUPERVISOR], email="sup2@example.org")


def _key(user: StaffUser) -> bytes:
    return accounts.unlock_private_key(user=user, password=PASSWORD)


def _submit(org: Setup, identity: str = "") -> Report:
    version = org.channel.current_questionnaire()
    assert version is not None
    return register.create_report(
        channel=org.channel, questionnaire=version, answers={"what": "x", "kind": "Fraud"}, identity=identity
    ).report


def _emailed(kind: str) -> set[int]:
    return {job.payload["user_id"] for job in Job.objects.filter(kind="cases.staff_email", payload__kind=kind)}


def _exclude(org: Setup, report: Report, user: StaffUser) -> None:
    """Excluding a supervisor takes a second supervisor's approval; the approver then leaves
    (deactivated), so that only the two supervisors of the test could be e-mailed."""
    request = workflow.exclude_from_report(report=report, user=user, by=org.supervisor)
    approver = accounts.create_staff(username=f"approver{report.pk}", password=PASSWORD, roles=[Role.SUPERVISOR])
    workflow.decide_exclusion(request=request, by=approver, approve=True)  # type: ignore[arg-type]
    approver.is_active = False
    approver.save()


def test_overdue_reminders_skip_an_excluded_supervisor(org: Setup, excluded: StaffUser) -> None:
    report = _submit(org)
    _exclude(org, report, excluded)
    assert reminders.send_deadline_reminders(now=report.ack_due_at + dt.timedelta(minutes=1)) == 1  # type: ignore[operator]
    assert _emailed("overdue") == {org.supervisor.pk}


def test_purge_warnings_skip_an_excluded_supervisor(org: Setup, excluded: StaffUser) -> None:
    report = _submit(org)
    closed = timezone.now() - dt.timedelta(days=85)
    workflow.close_report(
        report=report,
        by=org.handler,
        private_key=_key(org.handler),
        outcome=Outcome.objects.get(code="unsubstantiated"),
        reason="No evidence",
        now=closed,
    )
    Report.objects.filter(pk=report.pk).update(last_activity_at=closed)
    _exclude(org, report, excluded)
    assert retention.warn_upcoming() == 1
    assert _emailed("purge_ahead") == {org.supervisor.pk}


def test_disclosure_requests_skip_an_excluded_supervisor(org: Setup, excluded: StaffUser) -> None:
    report = _submit(org, identity="Jane Roe")
    _exclude(org, report, excluded)
    disclosure.request_identity(report=report, by=org.handler, private_key=_key(org.handler), reason="Protection")
    assert _emailed("disclosure_requested") == {org.supervisor.pk}


def test_an_e_mail_queued_before_the_exclusion_is_not_sent(org: Setup, excluded: StaffUser) -> None:
    report = _submit(org, identity="Jane Roe")
    disclosure.request_identity(report=report, by=org.handler, private_key=_key(org.handler), reason="Protection")
    assert _emailed("disclosure_requested") == {org.supervisor.pk, excluded.pk}
    _exclude(org, report, excluded)
    while run_one(worker_id="test") is not None:
        pass
    assert [message.to for message in mail.outbox] == [["sup@example.org"]]
