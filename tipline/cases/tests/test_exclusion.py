"""An exclusion hides the report from the excluded person everywhere (issue 11)."""

from __future__ import annotations

from django.test import Client

from tipline.accounts import services as accounts
from tipline.accounts.models import Role
from tipline.accounts.testing import login_staff
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
