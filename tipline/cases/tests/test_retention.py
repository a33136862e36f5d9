"""Retention decides again under the row lock, and gives a week's warning before any destruction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tipline.accounts import services as accounts
from tipline.cases.services import retention, workflow
from tipline.conftest import PASSWORD, Setup
from tipline.jobs.models import Job
from tipline.register import services as register
from tipline.register.models import Outcome, Report

NOW = timezone.now()


def _closed(org: Setup, *, days_ago: int) -> Report:
    version = org.channel.current_questionnaire()
    assert version is not None
    report = register.create_report(
        channel=org.channel, questionnaire=version, answers={"what": "x", "kind": "Fraud"}
    ).report
    closed_at = NOW - dt.timedelta(days=days_ago)
    workflow.close_report(
        report=report,
        by=org.handler,
        private_key=accounts.unlock_private_key(user=org.handler, password=PASSWORD),
        outcome=Outcome.objects.get(code="unsubstantiated"),
        reason="No evidence",
        now=closed_at,
    )
    Report.objects.filter(pk=report.pk).update(last_activity_at=closed_at)
    return Report.objects.get(pk=report.pk)


def _listed_as_due(org: Setup) -> Report:
    """A report past its retention time whose warning period is over, as purge_due lists it."""
    report = _closed(org, days_ago=100)
    assert retention.warn_upcoming(now=NOW - dt.timedelta(days=16)) == 1
    listed = Report.objects.select_related("channel").get(pk=report.pk)
    assert retention.purge_on(report=listed) is not None
    assert retention.purge_on(report=listed) <= NOW  # type: ignore[operator]
    return listed


def test_a_hold_set_after_the_report_was_listed_still_stops_the_purge(org: Setup) -> None:
    listed = _listed_as_due(org)
    workflow.set_legal_hold(report=Report.objects.get(pk=listed.pk), by=org.supervisor, hold=True)
    assert retention.purge_report(report=listed, now=NOW) is False
    assert not Report.objects.get(pk=listed.pk).is_purged


def test_reporter_activity_after_the_report_was_listed_still_stops_the_purge(org: Setup) -> None:
    listed = _listed_as_due(org)
    Report.objects.filter(pk=listed.pk).update(last_activity_at=NOW)
    assert retention.purge_report(report=listed, now=NOW) is False
    assert not Report.objects.get(pk=listed.pk).is_purged


def test_a_report_due_and_warned_is_destroyed(org: Setup) -> None:
    listed = _listed_as_due(org)
    assert retention.purge_due(now=NOW) == 1
    assert Report.objects.get(pk=listed.pk).is_purged


def test_a_report_is_not_destroyed_before_the_supervisors_were_warned(org: Setup) -> None:
    report = _closed(org, days_ago=100)
    assert retention.purge_due(now=NOW) == 0
    assert retention.warn_upcoming(now=NOW) == 1
    assert retention.purge_due(now=NOW + dt.timedelta(days=6)) == 0
    assert retention.purge_due(now=NOW + dt.timedelta(days=7, minutes=1)) == 1
    assert Report.objects.get(pk=report.pk).is_purged


@pytest.mark.parametrize("warned_before_the_hold", [True, False])
def test_releasing_a_hold_on_a_long_closed_report_gives_a_weeks_warning(
    org: Setup, warned_before_the_hold: bool
) -> None:
    org.supervisor.email = "sup@example.org"
    org.supervisor.save()
    report = _closed(org, days_ago=200)
    if warned_before_the_hold:
        assert retention.warn_upcoming(now=NOW - dt.timedelta(days=116)) == 1
    workflow.set_legal_hold(report=report, by=org.supervisor, hold=True)
    assert retention.purge_due(now=NOW) == 0
    workflow.set_legal_hold(report=report, by=org.supervisor, hold=False)

    assert retention.purge_due(now=NOW) == 0, "released: not destroyed within the hour"
    assert retention.warn_upcoming(now=NOW) == 1
    warning = Job.objects.filter(kind="cases.staff_email", payload__kind="purge_ahead").latest("pk")
    assert warning.payload["purge_on"] == (NOW + dt.timedelta(days=7)).date().isoformat()
    assert retention.purge_due(now=NOW + dt.timedelta(days=6, hours=23)) == 0
    assert retention.purge_due(now=NOW + dt.timedelta(days=7, minutes=1)) == 1
    assert Report.objects.get(pk=report.pk).is_purged


def test_releasing_a_report_that_was_not_held_keeps_the_warning_already_given(org: Setup) -> None:
    report = _closed(org, days_ago=86)
    assert retention.warn_upcoming(now=NOW) == 1
    workflow.set_legal_hold(report=report, by=org.supervisor, hold=False)  # was not held: nothing restarts
    assert Report.objects.get(pk=report.pk).purge_warned_at is not None
    assert retention.warn_upcoming(now=NOW) == 0


def test_a_purge_forgets_the_form_page_digest(org: Setup) -> None:
    listed = _listed_as_due(org)
    Report.objects.filter(pk=listed.pk).update(form_digest="d" * 32)
    assert retention.purge_report(report=listed, now=NOW) is True
    assert Report.objects.get(pk=listed.pk).form_digest == ""


def test_a_purge_removes_the_written_reasons_of_its_audit_entries_and_the_chain_still_verifies(
    org: Setup,
) -> None:
    """An admin's reason for an escrow read can name people; it goes with the report."""
    from tipline.audit.models import AuditEntry
    from tipline.audit.services import verify_chain
    from tipline.cases.services import content

    listed = _listed_as_due(org)
    admin_key = accounts.unlock_private_key(user=org.admin, password=PASSWORD)
    content.open_case_with_escrow(
        report=listed, admin=org.admin, admin_private_key=admin_key, reason="Court order naming Jane Roe"
    )
    entry = AuditEntry.objects.get(action="escrow.read")
    assert entry.detail["reason"]["text"] == "Court order naming Jane Roe"
    assert verify_chain() == AuditEntry.objects.count()
    assert retention.purge_report(report=listed, now=NOW) is True
    entry.refresh_from_db()
    assert "text" not in entry.detail["reason"]
    assert "Jane Roe" not in str(list(AuditEntry.objects.values_list("detail", flat=True)))
    assert verify_chain() == AuditEntry.objects.count()
