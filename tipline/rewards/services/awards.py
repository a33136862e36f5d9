"""Proposing, approving and refusing awards, within a channel's policy and budget."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from tipline.accounts.models import StaffUser
from tipline.audit import services as audit
from tipline.register.models import Report, ReportLink
from tipline.rewards.exceptions import (
    AlreadyApproved,
    AlreadyRewarded,
    AmountOutOfRange,
    NoPolicy,
    NotEligible,
    OverBudget,
    OwnProposal,
    WrongState,
)
from tipline.rewards.models import Reward, RewardApproval, RewardPolicy, seal_reason
from tipline.rewards.permissions import RewardAction, require

_ENDED = [Reward.State.REFUSED, Reward.State.DECLINED]


def policy_for(report: Report) -> RewardPolicy:
    """The active reward policy of the report's channel; :class:`NoPolicy` without one."""
    policy = RewardPolicy.objects.filter(channel_id=report.channel_id, is_active=True).first()
    if policy is None:
        raise NoPolicy
    return policy


def budget_used(*, policy: RewardPolicy, year: int) -> int:
    """What the awards of ``year`` use of the policy's budget (proposed, approved, claimed, paid)."""
    total = Reward.objects.committed().filter(policy=policy, budget_year=year).aggregate(total=Sum("amount"))["total"]
    return int(total or 0)


def is_first_useful(report: Report) -> bool:
    """A copy or duplicate of another report is not the first on its matter, and neither is a
    report linked to one that already has an award."""
    copies = [ReportLink.Kind.DUPLICATE, ReportLink.Kind.SENT_TWICE]
    if report.links_out.filter(kind__in=copies).exists():
        return False
    linked = ReportLink.objects.filter(Q(source=report) | Q(target=report)).values_list("source_id", "target_id")
    others = {pk for pair in linked for pk in pair} - {report.pk}
    return not Reward.objects.committed().filter(report_id__in=others).exists()


def check_eligible(*, report: Report, policy: RewardPolicy) -> None:
    """Closed, with an outcome the policy rewards, and the first useful report on its matter."""
    if report.is_purged or report.status != Report.Status.CLOSED or report.outcome_id is None:
        raise NotEligible
    if not policy.eligible_outcomes.filter(pk=report.outcome_id).exists():
        raise NotEligible
    if not is_first_useful(report):
        raise NotEligible


def propose_reward(*, report: Report, by: StaffUser, amount: int, reason: str) -> Reward:
    """A handler or supervisor proposes an award on a closed report; it waits for approval."""
    require(by, RewardAction.PROPOSE, report)
    policy = policy_for(report)
    if not policy.min_amount <= amount <= policy.max_amount:
        raise AmountOutOfRange
    now = timezone.now()
    try:
        with transaction.atomic():
            policy = RewardPolicy.objects.select_for_update().get(pk=policy.pk)  # one budget decision at a time
            report = Report.objects.get(pk=report.pk)  # as it is now, not as the caller last read it
            check_eligible(report=report, policy=policy)
            if Reward.objects.filter(report=report).exclude(state__in=_ENDED).exists():
                raise AlreadyRewarded
            if budget_used(policy=policy, year=now.year) + amount > policy.yearly_budget:
                raise OverBudget
            assert report.outcome_id is not None  # noqa: S101 - check_eligible ran
            reward = Reward.objects.create(
                report=report,
                policy=policy,
                amount=amount,
                currency=policy.currency,
                budget_year=now.year,
                reason_ct=seal_reason(reason, field=b"reason"),
                outcome_id=report.outcome_id,
                proposed_by=by,
                proposed_at=now,
            )
            audit.record(
                action="reward.proposed",
                actor=by,
                report_ref=report.reference,
                detail={"reward": reward.pk, "amount": amount, "currency": policy.currency},
            )
    except IntegrityError:  # another proposal on the same report won the race
        raise AlreadyRewarded from None
    return reward


def approvals_needed(reward: Reward) -> int:
    return 2 if reward.amount > reward.policy.second_approval_above else 1


def approve_reward(*, reward: Reward, by: StaffUser) -> Reward:
    """One approval; the award is approved when it has as many as its amount needs.
    Never by the person who proposed it, and never twice by the same person."""
    require(by, RewardAction.DECIDE, reward.report)
    with transaction.atomic():
        locked = Reward.objects.select_for_update().select_related("policy").get(pk=reward.pk)
        if locked.proposed_by_id == by.pk:
            raise OwnProposal
        if locked.state != Reward.State.PROPOSED:
            raise WrongState
        if locked.approvals.filter(by=by).exists():
            raise AlreadyApproved
        RewardApproval.objects.create(reward=locked, by=by)
        count = locked.approvals.count()
        complete = count >= approvals_needed(locked)
        if complete:
            now = timezone.now()
            done = Reward.objects.filter(pk=locked.pk, state=Reward.State.PROPOSED).update(
                state=Reward.State.APPROVED, decided_at=now, expires_at=now + timedelta(days=locked.policy.claim_days)
            )
            if done != 1:
                raise WrongState
        audit.record(
            action="reward.approved" if complete else "reward.first_approval",
            actor=by,
            report_ref=reward.report.reference,
            detail={"reward": locked.pk, "approvals": count},
        )
    reward.refresh_from_db()
    return reward


def refuse_reward(*, reward: Reward, by: StaffUser, reason: str) -> Reward:
    """Refuse a proposed award, or an approved one not yet claimed."""
    require(by, RewardAction.DECIDE, reward.report)
    with transaction.atomic():
        done = Reward.objects.filter(pk=reward.pk, state__in=[Reward.State.PROPOSED, Reward.State.APPROVED]).update(
            state=Reward.State.REFUSED,
            refused_by=by,
            refusal_reason_ct=seal_reason(reason, field=b"refusal"),
            decided_at=timezone.now(),
        )
        if done != 1:
            raise WrongState
        audit.record(
            action="reward.refused",
            actor=by,
            report_ref=reward.report.reference,
            detail={"reward": reward.pk, **audit.free_text(reason)},
        )
    reward.refresh_from_db()
    return reward
