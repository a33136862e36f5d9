"""Fixtures of the rewards tests: a channel with a reward policy, reward officers, and a
closed report with a rewardable outcome whose reporter holds the receipt."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from tipline.accounts import services as accounts
from tipline.accounts.models import Role, StaffUser
from tipline.cases.services import workflow
from tipline.conftest import PASSWORD, Setup, csrf_token
from tipline.register import services as register
from tipline.register.models import Outcome, Report
from tipline.rewards.models import RewardPolicy


@dataclass
class Rewards:
    org: Setup
    policy: RewardPolicy
    officer: StaffUser
    second_officer: StaffUser
    report: Report
    receipt: str
    report_key: bytes

    def key(self, user: StaffUser) -> bytes:
        return accounts.unlock_private_key(user=user, password=PASSWORD)


def closed_report(
    org: Setup, *, outcome: str = "substantiated", what: str = "Bid rigging"
) -> tuple[Report, str, bytes]:
    version = org.channel.current_questionnaire()
    assert version is not None
    submission = register.create_report(
        channel=org.channel, questionnaire=version, answers={"what": what, "kind": "Fraud"}
    )
    report = submission.report
    key = accounts.unlock_private_key(user=org.supervisor, password=PASSWORD)
    workflow.acknowledge_report(report=report, by=org.supervisor, private_key=key)
    workflow.close_report(
        report=report, by=org.supervisor, private_key=key, outcome=Outcome.objects.get(code=outcome), reason="Done"
    )
    report.refresh_from_db()
    opened, report_key = register.open_with_receipt(receipt_text=submission.receipt, client_tag="test")
    return opened, submission.receipt, report_key


@pytest.fixture
def rw(org: Setup) -> Rewards:
    officer = accounts.create_staff(username="officer", password=PASSWORD, roles=[Role.REWARD_OFFICER])
    second = accounts.create_staff(username="officer2", password=PASSWORD, roles=[Role.REWARD_OFFICER])
    policy = RewardPolicy.objects.create(
        channel=org.channel,
        currency="EUR",
        min_amount=100,
        max_amount=10000,
        yearly_budget=12000,
        second_approval_above=5000,
        claim_days=30,
        causes="Red Cross\nTransparency International",
    )
    policy.eligible_outcomes.add(Outcome.objects.get(code="substantiated"))
    report, receipt, report_key = closed_report(org)
    return Rewards(
        org=org,
        policy=policy,
        officer=officer,
        second_officer=second,
        report=report,
        receipt=receipt,
        report_key=report_key,
    )


def portal_login(client: Client, receipt: str) -> None:
    token = csrf_token(client, "/portal/")
    response = client.post("/portal/", {"csrfmiddlewaretoken": token, "receipt": receipt})
    assert response.status_code == 302, response.status_code


def post(client: Client, url: str, data: dict[str, object]) -> object:
    """A POST with the CSRF token of the client's cookie (CSRF stays on)."""
    return client.post(url, data, HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)
