"""An exclusion hides the report from the excluded person everywhere (issue 11)."""

from __future__ import annotations

import pytest
from django.test import Client

from tipline.accounts import services as accounts
from tipline.accounts.models import Role
from tipline.accounts.testing import login_staff
from tipline.cases.exceptions import AssigneeNotEligible
from tipline.cases.services import workflow
from tipline.conftest import PASSWORD, Setup
from tipline.register import services as register
from tipline.register.models import Report


def _report(org: Setup, what: str) -> Report:
    version = org.channel.current_questionnaire()
    assert version is not None
    return register.create_report(
        channel=org.channel, questionnaire=version, answers={"what": what, "kind": "Fraud"}
    ).report


def test_an_excluded_supervisor_sees_nothing_of_the_report_in_any_audit_trail(org: Setup) -> None:
    second = accounts.create_staff(username="second", password=PASSWORD, roles=[Role.SUPERVISOR])
    hidden, other = _report(org, "About the first supervisor"), _report(org, "Something else")
    key = accounts.unlock_private_key(user=second, password=PASSWORD)
    workflow.assign_report(report=hidden, handler=org.handler, by=second, private_key=key)
    workflow.assign_report(report=other, handler=org.handler, by=second, private_key=key)
    workflow.link_reports(source=other, target=hidden, kind="related", by=second)
    workflow.exclude_from_report(report=hidden, user=org.supervisor, by=second)

    client = Client(enforce_csrf_checks=True)
    login_staff(client, "supervisor", PASSWORD)
    assert client.get(f"/console/reports/{hidden.reference}/audit/").status_code in {403, 404}
    trail = client.get("/console/audit/").content.decode()
    assert hidden.reference not in trail
    assert other.reference in trail  # the rest of the trail is still there...
    assert "report.link" not in trail  # ...but not the link that names the hidden report
    assert client.get(f"/console/reports/{hidden.reference}/").status_code in {403, 404}
    assert hidden.reference not in client.get("/console/").content.decode()

    client = Client(enforce_csrf_checks=True)
    login_staff(client, "second", PASSWORD)
    assert hidden.reference in client.get("/console/audit/").content.decode()
    assert client.get(f"/console/reports/{hidden.reference}/audit/").status_code == 200


def test_an_exclusion_made_while_an_assignment_is_under_way_leaves_no_key(
    org: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The assignment checks eligibility, opens the key, then writes; an exclusion committed
    in between (another supervisor, at the same moment) must win."""
    from tipline.cases.services import content
    from tipline.register.models import ReportKeyGrant

    report = _report(org, "Raced")
    key = accounts.unlock_private_key(user=org.supervisor, password=PASSWORD)
    second = accounts.create_staff(username="second", password=PASSWORD, roles=[Role.SUPERVISOR])
    opened = content.report_key_for

    def exclusion_meanwhile(**kwargs: object) -> bytes:
        result = opened(**kwargs)  # type: ignore[arg-type]
        workflow.exclude_from_report(report=report, user=org.other_handler, by=second)
        return result

    monkeypatch.setattr(workflow, "report_key_for", exclusion_meanwhile)
    with pytest.raises(AssigneeNotEligible):
        workflow.assign_report(report=report, handler=org.other_handler, by=org.supervisor, private_key=key)
    assert not ReportKeyGrant.objects.filter(report=report, user=org.other_handler).exists()
    report.refresh_from_db()
    assert report.assignee is None
