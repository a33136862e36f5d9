"""The reporter's side: awards and claims, the commendation, proof of reporting, and telling
the handler about retaliation. Every page works without JavaScript."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tipline.refusals import renders_refusals
from tipline.register import services as register
from tipline.register.errors import ERROR_PAGE, handles_reporter_errors
from tipline.register.models import Report
from tipline.register.reporter_session import reporter_required
from tipline.rewards import services
from tipline.rewards.exceptions import NoCommendation, RewardError
from tipline.rewards.forms import ClaimForm, CommendationConsentForm, RetaliationForm
from tipline.rewards.models import Commendation, Reward

# What a reporter sees of their awards: nothing while staff decide.
_SHOWN = [Reward.State.APPROVED, Reward.State.CLAIMED, Reward.State.PAID, Reward.State.DECLINED]


handles_reward_errors = renders_refusals(RewardError, ERROR_PAGE)


def _page(request: HttpRequest, report: Report, report_key: bytes, **extra: Any) -> HttpResponse:
    awards = []
    for reward in report.rewards.filter(state__in=_SHOWN).select_related("policy"):
        policy = reward.policy
        awards.append(
            {
                "reward": reward,
                "form": extra.pop(f"form_{reward.pk}", None)
                or ClaimForm(methods=policy.methods(), causes=policy.cause_list(), prefix=f"r{reward.pk}"),
                "claim_code": services.claim_code_for_reporter(report=report, report_key=report_key, reward=reward),
            }
        )
    commendation = Commendation.objects.filter(report=report).first()
    context = {
        "report": report,
        "awards": awards,
        "commendation": commendation,
        "commendation_code": services.code_for_reporter(commendation=commendation, report_key=report_key)
        if commendation is not None
        else "",
        "consent_form": CommendationConsentForm(),
        "retaliation_form": RetaliationForm(),
        **extra,
    }
    return render(request, "rewards/portal.html", context, status=extra.get("status", 200))


@require_GET
@handles_reporter_errors
@reporter_required
def overview(request: HttpRequest, report: Report, report_key: bytes) -> HttpResponse:
    return _page(request, report, report_key)


@require_POST
@handles_reporter_errors
@reporter_required
@handles_reward_errors
def claim(request: HttpRequest, report: Report, report_key: bytes, reward_id: int) -> HttpResponse:
    reward = report.rewards.select_related("policy").filter(pk=reward_id).first()
    if reward is None:
        return _page(request, report, report_key, status=404)
    form = ClaimForm(
        request.POST, methods=reward.policy.methods(), causes=reward.policy.cause_list(), prefix=f"r{reward.pk}"
    )
    if not form.is_valid():
        return _page(request, report, report_key, status=400, **{f"form_{reward.pk}": form})
    data = form.cleaned_data
    result = services.claim_reward(
        report=report,
        report_key=report_key,
        reward_id=reward.pk,
        method=data["method"],
        bank_details=data.get("bank_details") or "",
        cause=data.get("cause") or "",
        pin=data.get("pin") or "",
    )
    if result.reward.state == Reward.State.DECLINED:
        flash.success(request, _("You declined the award. Thank you for your report."))
    elif result.claim_code:
        flash.success(
            request, _("Your claim is recorded. Bring the claim code shown below and your PIN to collect it.")
        )
    else:
        flash.success(request, _("Your claim is recorded. You will see here when it is paid."))
    return redirect("rewards:portal")


@require_POST
@handles_reporter_errors
@reporter_required
@handles_reward_errors
def commendation(request: HttpRequest, report: Report, report_key: bytes) -> HttpResponse:
    form = CommendationConsentForm(request.POST)
    if not form.is_valid():
        return _page(request, report, report_key, status=400, consent_form=form)
    if form.cleaned_data["decision"] == "decline":
        services.decline_commendation(report=report)
        flash.info(request, _("You declined the commendation. Nothing was issued."))
    else:
        services.accept_commendation(
            report=report, report_key=report_key, alias=form.cleaned_data["alias"], on_roll=form.cleaned_data["on_roll"]
        )
        flash.success(request, _("Your certificate is issued. Download it below."))
    return redirect("rewards:portal")


@require_GET
@handles_reporter_errors
@reporter_required
@handles_reward_errors
def certificate(request: HttpRequest, report: Report, report_key: bytes) -> HttpResponse:
    row = Commendation.objects.filter(report=report).first()
    if row is None:
        raise NoCommendation
    pdf = services.certificate_pdf(
        commendation=row, report_key=report_key, verify_url=request.build_absolute_uri(reverse("rewards:verify"))
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="commendation.pdf"'
    return response


@require_GET
@handles_reporter_errors
@reporter_required
def proof(request: HttpRequest, report: Report, report_key: bytes) -> HttpResponse:
    del report_key
    statement = services.issue_statement(report=report)
    response = HttpResponse(statement.text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="proof-of-reporting.txt"'
    return response


@require_POST
@handles_reporter_errors
@reporter_required
def retaliation(request: HttpRequest, report: Report, report_key: bytes) -> HttpResponse:
    form = RetaliationForm(request.POST)
    if not form.is_valid():
        return _page(request, report, report_key, status=400, retaliation_form=form)
    register.report_retaliation(report=report, report_key=report_key, body=form.cleaned_data["body"])
    flash.success(request, _("The handler was told. They will write to you in the conversation."))
    return redirect("rewards:portal")
