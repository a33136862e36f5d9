"""Proposals and decisions: eligibility, range, budget, the proposer never approves, two
approvers above the set amount, every step audited."""

from __future__ import annotations

import pytest

from tipline.accounts import services as accounts
from tipline.audit.models import AuditEntry
from tipline.cases.services import workflow
from tipline.conftest import PASSWORD
from tipline.register.models import Report, ReportLink
from tipline.rewards import services
from tipline.rewards.exceptions import (
    AlreadyApproved,
    AlreadyRewarded,
    AmountOutOfRange,
    NoPolicy,
    NotEligible,
    OverBudget,
    OwnProposal,
    RewardNotAllowed,
    WrongState,
)
from tipline.rewards.models import Reward
from tipline.rewards.tests.conftest import Rewards, closed_report


def _propose(rw: Rewards, amount: int = 1000, report: Report | None = None) -> Reward:
    return services.propose_reward(
        report=report or rw.report, by=rw.org.handler, amount=amount, reason="Led to charges"
    )


def test_a_handler_proposes_and_another_person_approves(rw: Rewards) -> None:
    reward = _propose(rw)
    assert reward.state == Reward.State.PROPOSED
    reward = services.approve_reward(reward=reward, by=rw.officer)
    assert reward.state == Reward.State.APPROVED
    assert reward.expires_at is not None
    actions = list(AuditEntry.objects.filter(report_ref=rw.report.reference).values_list("action", flat=True))
    assert "reward.proposed" in actions
    assert "reward.approved" in actions


def test_the_proposer_can_never_approve_their_own_proposal(rw: Rewards) -> None:
    reward = services.propose_reward(report=rw.report, by=rw.org.supervisor, amount=500, reason="x")
    with pytest.raises(OwnProposal):
        services.approve_reward(reward=reward, by=rw.org.supervisor)
    reward.refresh_from_db()
    assert reward.state == Reward.State.PROPOSED
    assert not reward.approvals.exists()


def test_above_the_set_amount_two_different_approvers_are_needed(rw: Rewards) -> None:
    reward = _propose(rw, amount=6000)
    reward = services.approve_reward(reward=reward, by=rw.officer)
    assert reward.state == Reward.State.PROPOSED
    with pytest.raises(AlreadyApproved):
        services.approve_reward(reward=reward, by=rw.officer)
    reward = services.approve_reward(reward=reward, by=rw.org.supervisor)
    assert reward.state == Reward.State.APPROVED
    assert reward.approvals.count() == 2


def test_a_handler_or_outsider_cannot_approve(rw: Rewards) -> None:
    reward = _propose(rw)
    with pytest.raises(RewardNotAllowed):
        services.approve_reward(reward=reward, by=rw.org.other_handler)


def test_an_amount_outside_the_range_is_refused(rw: Rewards) -> None:
    with pytest.raises(AmountOutOfRange):
        _propose(rw, amount=50)
    with pytest.raises(AmountOutOfRange):
        _propose(rw, amount=10001)


def test_an_amount_over_the_budget_is_refused(rw: Rewards) -> None:
    _propose(rw, amount=10000)
    second, _, _ = closed_report(rw.org, what="Another matter")
    with pytest.raises(OverBudget):
        _propose(rw, amount=2001, report=second)
    assert services.budget_used(policy=rw.policy, year=Reward.objects.get().budget_year) == 10000
    assert _propose(rw, amount=2000, report=second).state == Reward.State.PROPOSED


def test_a_refused_award_gives_its_budget_back(rw: Rewards) -> None:
    reward = _propose(rw, amount=10000)
    services.refuse_reward(reward=reward, by=rw.officer, reason="Not this time")
    assert services.budget_used(policy=rw.policy, year=reward.budget_year) == 0


def test_an_open_report_or_an_unrewarded_outcome_is_not_eligible(rw: Rewards) -> None:
    version = rw.org.channel.current_questionnaire()
    assert version is not None
    from tipline.register import services as register

    open_report = register.create_report(channel=rw.org.channel, questionnaire=version, answers={"what": "x"}).report
    with pytest.raises(NotEligible):
        _propose(rw, report=open_report)
    malicious, _, _ = closed_report(rw.org, outcome="malicious")
    with pytest.raises(NotEligible):
        services.propose_reward(report=malicious, by=rw.org.supervisor, amount=500, reason="x")


def test_only_the_first_useful_report_on_a_matter_is_rewarded(rw: Rewards) -> None:
    _propose(rw)
    later, _, _ = closed_report(rw.org, what="The same again")
    key = accounts.unlock_private_key(user=rw.org.supervisor, password=PASSWORD)
    del key
    workflow.link_reports(source=later, target=rw.report, kind=ReportLink.Kind.RELATED, by=rw.org.supervisor)
    with pytest.raises(NotEligible):
        services.propose_reward(report=later, by=rw.org.supervisor, amount=500, reason="x")
    duplicate, _, _ = closed_report(rw.org, what="Duplicate")
    workflow.link_reports(source=duplicate, target=later, kind=ReportLink.Kind.DUPLICATE, by=rw.org.supervisor)
    with pytest.raises(NotEligible):
        services.propose_reward(report=duplicate, by=rw.org.supervisor, amount=500, reason="x")


def test_a_second_award_on_one_report_is_refused(rw: Rewards) -> None:
    _propose(rw)
    with pytest.raises(AlreadyRewarded):
        _propose(rw, amount=200)


def test_a_channel_without_a_policy_offers_no_reward(rw: Rewards) -> None:
    rw.policy.is_active = False
    rw.policy.save()
    with pytest.raises(NoPolicy):
        _propose(rw)


def test_a_refused_award_cannot_be_approved(rw: Rewards) -> None:
    reward = _propose(rw)
    services.refuse_reward(reward=reward, by=rw.org.supervisor, reason="No")
    with pytest.raises(WrongState):
        services.approve_reward(reward=reward, by=rw.officer)
    with pytest.raises(WrongState):
        services.refuse_reward(reward=reward, by=rw.officer, reason="Again")


def test_an_excluded_reward_officer_cannot_decide(rw: Rewards) -> None:
    reward = _propose(rw)
    workflow.exclude_from_report(report=rw.report, user=rw.officer, by=rw.org.supervisor)
    with pytest.raises(RewardNotAllowed):
        services.approve_reward(reward=reward, by=rw.officer)
    assert services.approve_reward(reward=reward, by=rw.second_officer).state == Reward.State.APPROVED
