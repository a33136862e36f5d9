"""An exclusion hides the report from the excluded person everywhere (issue 11)."""

from __future__ import annotations

import pytest
from django.test import Client

from tipline.accounts import services as accounts
from tipline.accounts.models import Role, StaffUser
from tipline.accounts.testing import login_staff
from tipline.audit.models import AuditEntry
from tipline.cases.exceptions import (
    AssigneeNotEligible,
    InvalidTransition,
    NoSupervisorLeft,
    NotAllowed,
    ReasonRequired,
)
from tipline.cases.models import Exclusion, ExclusionRequest
from tipline.cases.services import content, workflow
from tipline.conftest import PASSWORD, Setup
from tipline.register import keyring
from tipline.register import services as register
from tipline.register.models import GrantReason, Report


def _escrow(org: Setup) -> bytes:
    key = accounts.unlock_private_key(user=org.admin, password=PASSWORD)
    return accounts.escrow_private_key(admin=org.admin, admin_private_key=key)


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
    request = workflow.exclude_from_report(report=hidden, user=org.supervisor, by=second)
    third = accounts.create_staff(username="third", password=PASSWORD, roles=[Role.SUPERVISOR])
    assert isinstance(request, ExclusionRequest)
    workflow.decide_exclusion(request=request, by=third, approve=True)

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


def _supervisor(name: str) -> StaffUser:
    return accounts.create_staff(username=name, password=PASSWORD, roles=[Role.SUPERVISOR])


def test_excluding_a_supervisor_needs_a_second_supervisor(org: Setup) -> None:
    report = _report(org, "About a supervisor")
    asker, third = _supervisor("asker"), _supervisor("third")
    for person in (asker, third):  # they get the keys an admin's escrow re-seal would give
        keyring.grant_report_key_from_escrow(
            report=report, user=person, escrow_private_key=_escrow(org), reasons=GrantReason.SUPERVISOR
        )
    request = workflow.exclude_from_report(report=report, user=org.supervisor, by=asker)
    assert isinstance(request, ExclusionRequest)
    assert not Exclusion.objects.exists()
    assert keyring.holds_report_key(report=report, user=org.supervisor)
    for wrong in (asker, org.supervisor):  # the requester, the person concerned
        with pytest.raises(NotAllowed):
            workflow.decide_exclusion(request=request, by=wrong, approve=True)
    with pytest.raises(NotAllowed):
        workflow.decide_exclusion(request=request, by=org.handler, approve=True)
    workflow.decide_exclusion(request=request, by=third, approve=True)
    assert Exclusion.objects.filter(report=report, user=org.supervisor).exists()
    assert not keyring.holds_report_key(report=report, user=org.supervisor)
    assert not keyring.holds_identity_key(report=report, user=org.supervisor)
    with pytest.raises(InvalidTransition):
        workflow.decide_exclusion(request=request, by=third, approve=False)
    actions = list(AuditEntry.objects.filter(report_ref=report.reference).values_list("action", flat=True))
    assert "report.exclusion_requested" in actions
    assert "report.exclusion_approved" in actions


def test_an_exclusion_that_would_leave_no_supervisor_able_to_act_is_refused(org: Setup) -> None:
    report = _report(org, "Only one supervisor holds its key")
    asker, third = _supervisor("asker"), _supervisor("third")  # made after it: no key to it
    request = workflow.exclude_from_report(report=report, user=org.supervisor, by=asker)
    assert isinstance(request, ExclusionRequest)
    with pytest.raises(NoSupervisorLeft):
        workflow.decide_exclusion(request=request, by=third, approve=True)
    assert keyring.holds_report_key(report=report, user=org.supervisor)
    workflow.decide_exclusion(request=request, by=third, approve=False)
    request.refresh_from_db()
    assert request.state == ExclusionRequest.State.REFUSED


def test_an_admin_lifts_an_exclusion_and_restores_access_from_escrow(org: Setup) -> None:
    report = _report(org, "Excluded by mistake")
    asker, third = _supervisor("asker"), _supervisor("third")
    keyring.grant_report_key_from_escrow(
        report=report, user=third, escrow_private_key=_escrow(org), reasons=GrantReason.SUPERVISOR
    )
    request = workflow.exclude_from_report(report=report, user=org.supervisor, by=asker)
    assert isinstance(request, ExclusionRequest)
    workflow.decide_exclusion(request=request, by=third, approve=True)
    admin_key = accounts.unlock_private_key(user=org.admin, password=PASSWORD)
    with pytest.raises(ReasonRequired):
        workflow.restore_after_exclusion(
            report=report, user=org.supervisor, by=org.admin, admin_private_key=admin_key, reason=" "
        )
    workflow.restore_after_exclusion(
        report=report, user=org.supervisor, by=org.admin, admin_private_key=admin_key, reason="Ruled no conflict"
    )
    assert not Exclusion.objects.filter(report=report, user=org.supervisor).exists()
    key = accounts.unlock_private_key(user=org.supervisor, password=PASSWORD)
    assert content.open_case(report=report, user=org.supervisor, private_key=key).answers
    entry = AuditEntry.objects.get(action="escrow.restore_report_access")
    assert entry.actor == org.admin
    assert entry.detail["reason"]["text"] == "Ruled no conflict"


def test_the_exclusions_page_shows_requests_to_other_supervisors_only(org: Setup) -> None:
    report = _report(org, "Pending")
    asker = _supervisor("asker")
    _supervisor("third")
    workflow.exclude_from_report(report=report, user=org.supervisor, by=asker)
    url = f"/console/reports/{report.reference}/exclusions/"
    deciding = Client(enforce_csrf_checks=True)
    login_staff(deciding, "third", PASSWORD)
    page = deciding.get(url).content.decode()
    assert "asker asks to exclude supervisor" in page
    assert 'value="approve"' in page
    concerned = Client(enforce_csrf_checks=True)
    login_staff(concerned, "supervisor", PASSWORD)
    assert "asks to exclude" not in concerned.get(url).content.decode()


def test_lifting_an_exclusion_on_a_destroyed_report_is_refused_not_a_crash(org: Setup) -> None:
    from tipline.cases.exceptions import ReportPurged

    report = _report(org, "Destroyed later")
    workflow.exclude_from_report(report=report, user=org.other_handler, by=org.supervisor)
    Report.objects.filter(pk=report.pk).update(purged_at=report.created_at)
    admin_key = accounts.unlock_private_key(user=org.admin, password=PASSWORD)
    with pytest.raises(ReportPurged):
        workflow.restore_after_exclusion(
            report=report, user=org.other_handler, by=org.admin, admin_private_key=admin_key, reason="Check"
        )


def test_a_handler_whose_exclusion_is_lifted_gets_the_report_again_only_by_an_assignment(org: Setup) -> None:
    report = _report(org, "Handler excluded then back")
    org.channel.recipients.add(org.other_handler)
    workflow.exclude_from_report(report=report, user=org.other_handler, by=org.supervisor)
    admin_key = accounts.unlock_private_key(user=org.admin, password=PASSWORD)
    workflow.restore_after_exclusion(
        report=report, user=org.other_handler, by=org.admin, admin_private_key=admin_key, reason="No conflict"
    )
    assert not keyring.holds_report_key(report=report, user=org.other_handler)
    assert not Exclusion.objects.filter(report=report, user=org.other_handler).exists()
