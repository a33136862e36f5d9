"""The console's reward pages: proposals, decisions, payments, the cash desk, the export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tipline.accounts.decorators import staff_required
from tipline.accounts.models import StaffUser
from tipline.audit import services as audit
from tipline.refusals import renders_refusals
from tipline.register.models import Report
from tipline.rewards import services
from tipline.rewards.exceptions import RewardError
from tipline.rewards.forms import CashDeskForm, PaymentForm, ProposeForm, RefuseForm
from tipline.rewards.models import Commendation, PayoutMethod, Reward, RewardPolicy
from tipline.rewards.permissions import RewardAction, allowed, require


def _staff(request: HttpRequest) -> StaffUser:
    assert isinstance(request.user, StaffUser)  # noqa: S101 - staff_required ran
    return request.user


handles_reward_errors = renders_refusals(RewardError, "cases/no_access.html")


def _form_errors(request: HttpRequest, form: Any) -> HttpResponse:
    errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
    return render(request, "cases/no_access.html", {"message": errors}, status=400)


def _budgets() -> list[dict[str, Any]]:
    year = timezone.now().year
    rows = []
    for policy in RewardPolicy.objects.select_related("channel").order_by("channel__name"):
        used = services.budget_used(policy=policy, year=year)
        rows.append({"policy": policy, "year": year, "used": used, "left": max(policy.yearly_budget - used, 0)})
    return rows


@require_GET
@staff_required
@handles_reward_errors
def overview(request: HttpRequest, private_key: bytes | None) -> HttpResponse:
    user = _staff(request)
    require(user, RewardAction.VIEW_REWARDS)
    rewards = Reward.objects.select_related("report", "policy__channel", "proposed_by").exclude(
        report__exclusions__user=user
    )
    context = {
        "to_decide": rewards.filter(state=Reward.State.PROPOSED).exclude(Q(proposed_by=user) | Q(approvals__by=user)),
        "to_pay": rewards.filter(state=Reward.State.CLAIMED),
        "recent": rewards.exclude(state__in=[Reward.State.PROPOSED, Reward.State.CLAIMED])[:50],
        "budgets": _budgets(),
        "can_pay": allowed(user, RewardAction.PAY),
        "can_export": allowed(user, RewardAction.EXPORT_PAYOUTS),
        "cash_form": CashDeskForm(),
    }
    return render(request, "rewards/overview.html", context)


def _report(reference: str) -> Report:
    return get_object_or_404(Report.objects.select_related("channel", "outcome"), reference=reference)


@require_GET
@staff_required
@handles_reward_errors
def case_rewards(request: HttpRequest, private_key: bytes | None, reference: str) -> HttpResponse:
    user, report = _staff(request), _report(reference)
    can_propose = allowed(user, RewardAction.PROPOSE, report)
    if not (can_propose or allowed(user, RewardAction.VIEW_REWARDS, report)):
        require(user, RewardAction.PROPOSE, report)
    policy = RewardPolicy.objects.filter(channel=report.channel, is_active=True).first()
    context = {
        "report": report,
        "policy": policy,
        "rewards": report.rewards.select_related("proposed_by", "refused_by").prefetch_related("approvals__by"),
        "commendation": Commendation.objects.filter(report=report).first(),
        "can_propose": can_propose and policy is not None,
        "can_offer": allowed(user, RewardAction.OFFER_COMMENDATION, report),
        "form": ProposeForm(),
    }
    return render(request, "rewards/case.html", context)


@require_POST
@staff_required
@handles_reward_errors
def propose(request: HttpRequest, private_key: bytes | None, reference: str) -> HttpResponse:
    user, report = _staff(request), _report(reference)
    form = ProposeForm(request.POST)
    if not form.is_valid():
        return _form_errors(request, form)
    services.propose_reward(
        report=report, by=user, amount=form.cleaned_data["amount"], reason=form.cleaned_data["reason"]
    )
    flash.success(request, _("The award was proposed. A supervisor or reward officer must approve it."))
    return redirect("rewards:case", reference=reference)


@require_POST
@staff_required
@handles_reward_errors
def commend(request: HttpRequest, private_key: bytes | None, reference: str) -> HttpResponse:
    user, report = _staff(request), _report(reference)
    services.offer_commendation(report=report, by=user)
    flash.success(request, _("The commendation was offered. It is issued only if the reporter agrees."))
    return redirect("rewards:case", reference=reference)


def _reward(reward_id: int) -> Reward:
    return get_object_or_404(Reward.objects.select_related("report", "policy__channel"), pk=reward_id)


def _detail(request: HttpRequest, reward: Reward, bank_details: str = "") -> HttpResponse:
    user = _staff(request)
    context = {
        "reward": reward,
        "approvals": reward.approvals.select_related("by"),
        "needed": services.approvals_needed(reward),
        "can_decide": allowed(user, RewardAction.DECIDE, reward.report),
        "can_pay": allowed(user, RewardAction.PAY),
        "bank_details": bank_details,
        "refuse_form": RefuseForm(),
        "payment_form": PaymentForm(initial={"paid_on": timezone.localdate()}),
        "is_bank": reward.method == PayoutMethod.BANK,
    }
    return render(request, "rewards/detail.html", context)


@require_GET
@staff_required
@handles_reward_errors
def detail(request: HttpRequest, private_key: bytes | None, reward_id: int) -> HttpResponse:
    reward = _reward(reward_id)
    require(_staff(request), RewardAction.VIEW_REWARDS, reward.report)
    return _detail(request, reward)


@require_POST
@staff_required
@handles_reward_errors
def bank_details(request: HttpRequest, private_key: bytes | None, reward_id: int) -> HttpResponse:
    reward = _reward(reward_id)
    text = services.read_bank_details(reward=reward, by=_staff(request), private_key=private_key)
    return _detail(request, reward, bank_details=text)


@require_POST
@staff_required
@handles_reward_errors
def approve(request: HttpRequest, private_key: bytes | None, reward_id: int) -> HttpResponse:
    reward = services.approve_reward(reward=_reward(reward_id), by=_staff(request))
    if reward.state == Reward.State.APPROVED:
        flash.success(request, _("The award is approved. The reporter can now claim it in the portal."))
    else:
        flash.success(request, _("Your approval is recorded. This amount needs a second approver."))
    return redirect("rewards:detail", reward_id=reward_id)


@require_POST
@staff_required
@handles_reward_errors
def refuse(request: HttpRequest, private_key: bytes | None, reward_id: int) -> HttpResponse:
    form = RefuseForm(request.POST)
    if not form.is_valid():
        return _form_errors(request, form)
    services.refuse_reward(reward=_reward(reward_id), by=_staff(request), reason=form.cleaned_data["reason"])
    flash.success(request, _("The award was refused."))
    return redirect("rewards:detail", reward_id=reward_id)


@require_POST
@staff_required
@handles_reward_errors
def pay(request: HttpRequest, private_key: bytes | None, reward_id: int) -> HttpResponse:
    form = PaymentForm(request.POST)
    if not form.is_valid():
        return _form_errors(request, form)
    services.record_payment(
        reward=_reward(reward_id),
        by=_staff(request),
        reference=form.cleaned_data["reference"],
        paid_on=form.cleaned_data["paid_on"],
    )
    flash.success(request, _("The payment is recorded and the payment details are destroyed."))
    return redirect("rewards:detail", reward_id=reward_id)


@require_POST
@staff_required
@handles_reward_errors
def cash_desk(request: HttpRequest, private_key: bytes | None) -> HttpResponse:
    user = _staff(request)
    require(user, RewardAction.PAY)
    form = CashDeskForm(request.POST)
    if not form.is_valid():
        return _form_errors(request, form)
    reward = services.collect_cash(
        code=form.cleaned_data["code"],
        pin=form.cleaned_data["pin"],
        by=user,
        reference=form.cleaned_data["reference"],
        client_tag=f"staff-{user.pk}",
    )
    flash.success(
        request,
        _("Pay %(amount)s %(currency)s in cash. The payment is recorded.")
        % {"amount": reward.amount, "currency": reward.currency},
    )
    return redirect("rewards:detail", reward_id=reward.pk)


@require_GET
@staff_required
@handles_reward_errors
def payouts(request: HttpRequest, private_key: bytes | None) -> HttpResponseBase:
    user = _staff(request)
    require(user, RewardAction.EXPORT_PAYOUTS)
    audit.record(action="reward.payouts_exported", actor=user)
    response = StreamingHttpResponse(services.payouts_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="payouts.csv"'
    return response
