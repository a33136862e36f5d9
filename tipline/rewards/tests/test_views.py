"""The pages, as a browser without JavaScript uses them: statuses and messages of every
refusal, and the reporter's retaliation notice on the case and in the statistics."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from tipline.accounts.testing import login_staff
from tipline.conftest import PASSWORD
from tipline.rewards import services
from tipline.rewards.models import Reward
from tipline.rewards.tests.conftest import Rewards, portal_login, post


def _staff(username: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    login_staff(client, username, PASSWORD)
    return client


def test_proposal_approval_claim_and_payment_through_the_pages(rw: Rewards) -> None:
    handler = _staff("handler")
    page = handler.get(f"/console/rewards/reports/{rw.report.reference}/")
    assert page.status_code == 200
    assert "Propose an award" in page.content.decode()
    response = post(
        handler, f"/console/rewards/reports/{rw.report.reference}/propose/", {"amount": 700, "reason": "Led to a fine"}
    )
    assert response.status_code == 302  # type: ignore[attr-defined]
    reward = Reward.objects.get()
    assert post(handler, f"/console/rewards/{reward.pk}/approve/", {}).status_code == 403  # type: ignore[attr-defined]
    officer = _staff("officer")
    assert officer.get("/console/rewards/").status_code == 200
    assert post(officer, f"/console/rewards/{reward.pk}/approve/", {}).status_code == 302  # type: ignore[attr-defined]
    again = post(officer, f"/console/rewards/{reward.pk}/approve/", {})
    assert again.status_code == 409  # type: ignore[attr-defined]

    reporter = Client(enforce_csrf_checks=True)
    portal_login(reporter, rw.receipt)
    assert "Rewards, commendation" in reporter.get("/portal/report/").content.decode()
    page = reporter.get("/portal/rewards/").content.decode()
    assert "700 EUR" in page
    missing = post(reporter, f"/portal/rewards/{reward.pk}/claim/", {f"r{reward.pk}-method": "bank"})
    assert missing.status_code == 400  # type: ignore[attr-defined]
    assert "Type your bank details" in missing.content.decode()  # type: ignore[attr-defined]
    claimed = post(
        reporter,
        f"/portal/rewards/{reward.pk}/claim/",
        {f"r{reward.pk}-method": "bank", f"r{reward.pk}-bank_details": "IBAN X"},
    )
    assert claimed.status_code == 302  # type: ignore[attr-defined]
    twice = post(reporter, f"/portal/rewards/{reward.pk}/claim/", {f"r{reward.pk}-method": "decline"})
    assert twice.status_code == 409  # type: ignore[attr-defined]

    shown = post(officer, f"/console/rewards/{reward.pk}/bank/", {})
    assert "IBAN X" in shown.content.decode()  # type: ignore[attr-defined]
    paid = post(officer, f"/console/rewards/{reward.pk}/pay/", {"reference": "TX-77", "paid_on": "2026-12-05"})
    assert paid.status_code == 302  # type: ignore[attr-defined]
    assert (
        post(officer, f"/console/rewards/{reward.pk}/pay/", {"reference": "TX-78", "paid_on": "2026-12-05"}).status_code
        == 409
    )  # type: ignore[attr-defined]
    assert "TX-77" in reporter.get("/portal/rewards/").content.decode()
    export = officer.get("/console/rewards/payouts.csv")
    assert export.status_code == 200
    assert "TX-77" in b"".join(export.streaming_content).decode()  # type: ignore[attr-defined]


def test_refusals_have_fitting_statuses(rw: Rewards) -> None:
    supervisor = _staff("supervisor")
    url = f"/console/rewards/reports/{rw.report.reference}/propose/"
    assert post(supervisor, url, {"amount": 20000, "reason": "x"}).status_code == 400  # type: ignore[attr-defined]
    assert post(supervisor, url, {"amount": "", "reason": "x"}).status_code == 400  # type: ignore[attr-defined]
    rw.policy.yearly_budget = 500
    rw.policy.save()
    over = post(supervisor, url, {"amount": 600, "reason": "x"})
    assert over.status_code == 409  # type: ignore[attr-defined]
    assert "budget" in over.content.decode()  # type: ignore[attr-defined]
    assert post(supervisor, url, {"amount": 400, "reason": "x"}).status_code == 302  # type: ignore[attr-defined]
    reward = Reward.objects.get()
    own = post(supervisor, f"/console/rewards/{reward.pk}/approve/", {})
    assert own.status_code == 403  # type: ignore[attr-defined]
    assert "someone else" in own.content.decode()  # type: ignore[attr-defined]


def test_a_reporter_claiming_an_expired_or_refused_award_is_told_why(rw: Rewards) -> None:
    reward = services.propose_reward(report=rw.report, by=rw.org.handler, amount=300, reason="x")
    services.approve_reward(reward=reward, by=rw.officer)
    Reward.objects.filter(pk=reward.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    reporter = Client(enforce_csrf_checks=True)
    portal_login(reporter, rw.receipt)
    reporter.get("/portal/rewards/")
    expired = post(reporter, f"/portal/rewards/{reward.pk}/claim/", {f"r{reward.pk}-method": "decline"})
    assert expired.status_code == 410  # type: ignore[attr-defined]
    Reward.objects.filter(pk=reward.pk).update(expires_at=timezone.now() + timedelta(days=1))
    services.refuse_reward(reward=reward, by=rw.officer, reason="No")
    refused = post(reporter, f"/portal/rewards/{reward.pk}/claim/", {f"r{reward.pk}-method": "decline"})
    assert refused.status_code == 409  # type: ignore[attr-defined]
    unknown = post(reporter, "/portal/rewards/999999/claim/", {"r999999-method": "decline"})
    assert unknown.status_code == 404  # type: ignore[attr-defined]


def test_a_wrong_cash_code_at_the_desk_is_refused(rw: Rewards) -> None:
    officer = _staff("officer")
    officer.get("/console/rewards/")
    response = post(officer, "/console/rewards/cash/", {"code": "ABCD-EFGH", "pin": "123456", "reference": "C1"})
    assert response.status_code == 403  # type: ignore[attr-defined]


def test_retaliation_is_shown_on_the_case_and_counted(rw: Rewards) -> None:
    reporter = Client(enforce_csrf_checks=True)
    portal_login(reporter, rw.receipt)
    reporter.get("/portal/rewards/")
    response = post(reporter, "/portal/retaliation/", {"body": "I was moved to another office."})
    assert response.status_code == 302  # type: ignore[attr-defined]
    supervisor = _staff("supervisor")
    detail = supervisor.get(f"/console/reports/{rw.report.reference}/").content.decode()
    assert "face retaliation" in detail
    assert "I was moved to another office." in detail
    queue = supervisor.get("/console/").content.decode()
    assert "1 reporter faces retaliation" in queue
    export = b"".join(supervisor.get("/console/export.csv").streaming_content).decode()  # type: ignore[attr-defined]
    assert "retaliation_reported" in export.splitlines()[0]
    assert timezone.localdate().isoformat() in export.splitlines()[1]


def test_a_reward_officer_lands_on_the_rewards_after_log_in(rw: Rewards) -> None:
    from tipline.accounts.views import _landing

    client = _staff("officer")

    assert _landing(rw.officer) == "rewards:overview"
    assert _landing(rw.org.supervisor) == "cases:queue"
    assert 'href="/console/rewards/"' in client.get("/console/rewards/").content.decode()
