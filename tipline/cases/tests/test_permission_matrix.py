"""Every role against every console action, through the real views: allowed or refused.

A refused action is a 403 (or a redirect to log in), never a 500; an allowed one
succeeds. The matrix runs on SQLite and on PostgreSQL like the rest of the suite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client

from tipline.accounts import services as accounts
from tipline.accounts.models import Role, StaffUser
from tipline.accounts.testing import login_staff
from tipline.cases.services import disclosure, workflow
from tipline.conftest import PASSWORD, Setup
from tipline.register import services as register
from tipline.register.models import Channel, ChannelKind, Label, Report

ROLES = ["admin", "supervisor", "handler", "outsider", "call_taker", "editor", "reward_officer"]


@dataclass(frozen=True)
class Case:
    report: Report
    other: Report
    receipt: str


@dataclass(frozen=True)
class Step:
    method: str
    path: Callable[[Case], str]
    data: Callable[[Case, Setup], dict[str, object]]
    allowed: frozenset[str]
    prepare: Callable[[Case, Setup], None] | None = None


def _key(user: StaffUser) -> bytes:
    return accounts.unlock_private_key(user=user, password=PASSWORD)


def _acknowledged(case: Case, org: Setup) -> None:
    workflow.acknowledge_report(report=case.report, by=org.supervisor, private_key=_key(org.supervisor))


def _pending_disclosure(case: Case, org: Setup) -> None:
    disclosure.request_identity(report=case.report, by=org.handler, private_key=_key(org.handler), reason="safety")


def _approved_disclosure(case: Case, org: Setup) -> None:
    _pending_disclosure(case, org)
    request = case.report.disclosure_requests.get()
    disclosure.decide_identity(request=request, by=org.supervisor, private_key=_key(org.supervisor), approve=True)


def _exclusion_asked(case: Case, org: Setup) -> None:
    """Another supervisor (holding the key) asks to exclude a third one from the report."""
    from tipline.cases.models import ExclusionRequest

    number = case.report.pk
    asker = accounts.create_staff(username=f"asker{number}", password=PASSWORD, roles=[Role.SUPERVISOR])
    subject = accounts.create_staff(username=f"subject{number}", password=PASSWORD, roles=[Role.SUPERVISOR])
    ExclusionRequest.objects.create(report=case.report, user=subject, requested_by=asker)


def _handler_excluded(case: Case, org: Setup) -> None:
    workflow.exclude_from_report(report=case.report, user=org.other_handler, by=org.supervisor)


def _detail(c: Case) -> str:
    return f"/console/reports/{c.report.reference}/"


def _nothing(c: Case, o: Setup) -> dict[str, object]:
    return {}


WORKERS = frozenset({"supervisor", "handler"})
SUPERVISOR = frozenset({"supervisor"})
QUEUE_ROLES = frozenset({"admin", "supervisor", "handler", "outsider"})

STEPS: dict[str, Step] = {
    "queue": Step("get", lambda c: "/console/", _nothing, frozenset({"admin", "supervisor", "handler", "outsider"})),
    "read": Step("get", _detail, _nothing, WORKERS),
    "download": Step("get", lambda c: f"/console/files/{c.report.attachments.get().pk}/", _nothing, WORKERS),
    "download_uncleaned": Step(
        "get", lambda c: f"/console/files/{c.report.attachments.get().pk}/?confirm=1", _nothing, WORKERS
    ),
    "alert_settings": Step("get", lambda c: "/console/alerts/", _nothing, QUEUE_ROLES),
    "alert_choice": Step("post", lambda c: "/console/alerts/", lambda c, o: {"mode": "none"}, QUEUE_ROLES),
    "reply": Step("post", _detail, lambda c, o: {"body": "A question for you"}, WORKERS),
    "acknowledge": Step("post", lambda c: _detail(c) + "acknowledge/", _nothing, WORKERS),
    "progress": Step("post", lambda c: _detail(c) + "progress/", _nothing, WORKERS, _acknowledged),
    "close": Step(
        "post",
        lambda c: _detail(c) + "close/",
        lambda c, o: {"outcome": o.outcome_id, "reason": "Checked"},
        WORKERS,  # type: ignore[attr-defined]
    ),
    "note": Step("post", lambda c: _detail(c) + "note/", lambda c, o: {"body": "Internal"}, WORKERS),
    "labels": Step("post", lambda c: _detail(c) + "labels/", lambda c, o: {"labels": [o.label_id]}, WORKERS),  # type: ignore[attr-defined]
    "link": Step(
        "post", lambda c: _detail(c) + "link/", lambda c, o: {"target": c.other.reference, "kind": "related"}, WORKERS
    ),
    "export_pdf": Step("get", lambda c: _detail(c) + "export.pdf", _nothing, WORKERS),
    "request_identity": Step(
        "post",
        lambda c: _detail(c) + "identity/request/",
        lambda c, o: {"reason": "To protect"},
        frozenset({"handler"}),
    ),
    "assign": Step("post", lambda c: _detail(c) + "assign/", lambda c, o: {"handler": o.handler.pk}, SUPERVISOR),
    "exclude": Step("post", lambda c: _detail(c) + "exclude/", lambda c, o: {"user": o.other_handler.pk}, SUPERVISOR),
    "legal_hold": Step("post", lambda c: _detail(c) + "hold/", lambda c, o: {"hold": "on"}, SUPERVISOR),
    "decide_identity": Step(
        "post",
        lambda c: _detail(c) + f"identity/{c.report.disclosure_requests.get().pk}/decide/",
        lambda c, o: {"decision": "approve"},
        SUPERVISOR,
        _pending_disclosure,
    ),
    "exclusions": Step("get", lambda c: _detail(c) + "exclusions/", _nothing, frozenset({"supervisor", "admin"})),
    "decide_exclusion": Step(
        "post",
        lambda c: _detail(c) + f"exclusions/{c.report.exclusion_requests.get().pk}/decide/",
        lambda c, o: {"decision": "approve"},
        SUPERVISOR,
        _exclusion_asked,
    ),
    "restore_access": Step(
        "post",
        lambda c: _detail(c) + "exclusions/restore/",
        lambda c, o: {"user": o.other_handler.pk, "reason": "No conflict after all"},
        frozenset({"admin"}),
        _handler_excluded,
    ),
    "reveal_identity": Step("post", lambda c: _detail(c) + "identity/", _nothing, frozenset({"supervisor"})),
    "export_csv": Step("get", lambda c: "/console/export.csv", _nothing, SUPERVISOR),
    "audit": Step("get", lambda c: "/console/audit/", _nothing, SUPERVISOR),
    "case_audit": Step("get", lambda c: _detail(c) + "audit/", _nothing, SUPERVISOR),
    "escrow_read": Step(
        "post", lambda c: _detail(c) + "escrow/", lambda c, o: {"reason": "Court order 12"}, frozenset({"admin"})
    ),
}


def _phone_channel(case: Case, org: Setup) -> None:
    """A phone channel with the web channel's questions (the call-taker's screen)."""
    channel, created = Channel.objects.get_or_create(
        slug="phone", defaults={"name": "Phone", "kind": ChannelKind.PHONE}
    )
    if created:
        for question in org.channel.questions.all():
            question.pk, question.channel = None, channel
            question.save()
        register.publish_questionnaire(channel=channel)


CALL_TAKER = frozenset({"call_taker"})
STEPS.update(
    {
        "calls": Step("get", lambda c: "/calls/", _nothing, CALL_TAKER),
        "take_call": Step(
            "post",
            lambda c: "/calls/new/phone/",
            lambda c, o: {"q_what": "By phone", "q_kind": "Fraud", "recording_consent": "no", "transcript": "Minutes"},
            CALL_TAKER,
            _phone_channel,
        ),
        "add_by_receipt": Step(
            "post", lambda c: "/calls/add/", lambda c, o: {"receipt": c.receipt, "body": "More"}, CALL_TAKER
        ),
    }
)


@pytest.fixture
def staff(org: Setup) -> dict[str, StaffUser]:
    extra = {
        "call_taker": [Role.CALL_TAKER],
        "editor": [Role.EDITOR],
        "reward_officer": [Role.REWARD_OFFICER],
    }
    people = {"admin": org.admin, "supervisor": org.supervisor, "handler": org.handler, "outsider": org.other_handler}
    for name, roles in extra.items():
        people[name] = accounts.create_staff(username=name, password=PASSWORD, roles=roles)
    return people


def _new_case(org: Setup, tmp_path: object) -> Case:
    version = org.channel.current_questionnaire()
    assert version is not None
    path = tmp_path / "note.bin"  # type: ignore[operator]
    path.write_bytes(b"evidence")
    # A type mat2 does not know: held, then released, so no cleaning process runs per cell.
    files = [register.IncomingFile(path=path, name="note.bin", size=8)]
    submission = register.create_report(
        channel=org.channel, questionnaire=version, answers={"what": "x"}, files=files, identity="Named Person"
    )
    report = submission.report
    register.release_held(report=report, attachment_ids=[a.pk for a in submission.held])
    other = register.create_report(channel=org.channel, questionnaire=version, answers={"what": "y"}).report
    return Case(report=report, other=other, receipt=submission.receipt)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_every_console_action(
    org: Setup, staff: dict[str, StaffUser], role: str, tmp_path: object
) -> None:
    from tipline.register.models import Outcome

    org.outcome_id = Outcome.objects.get(code="substantiated").pk  # type: ignore[attr-defined]
    org.label_id = Label.objects.create(name="urgent").pk  # type: ignore[attr-defined]
    client = Client(enforce_csrf_checks=True)
    login_staff(client, staff[role].username, PASSWORD)
    outcomes: dict[str, tuple[bool, int]] = {}
    for name, step in STEPS.items():
        case = _new_case(org, tmp_path)
        if step.prepare is not None:
            step.prepare(case, org)
        path = step.path(case)
        if step.method == "get":
            response = client.get(path)
        else:
            token = client.cookies["csrftoken"].value
            response = client.post(path, {**step.data(case, org)}, HTTP_X_CSRFTOKEN=token)
        expected = role in step.allowed
        location = str(response.get("Location", ""))
        ok = response.status_code in {200, 302} and not location.startswith("/staff/") and "/escrow/" not in location
        outcomes[name] = (ok, response.status_code)
        assert response.status_code < 500, f"{role} {name}: {response.status_code}"
        if not expected:
            assert response.status_code in {302, 403}, f"{role} {name}: {response.status_code}"
    wrong = {name: code for name, (ok, code) in outcomes.items() if ok != (role in STEPS[name].allowed)}
    assert wrong == {}, f"{role}: unexpected outcomes {wrong}"


# ---- Rewards and commendations (tipline.rewards): every reward action against every role.


def _rewardable(case: Case, org: Setup) -> None:
    """The channel has a reward policy and the case is closed with a rewarded outcome."""
    from tipline.register.models import Outcome
    from tipline.rewards.models import RewardPolicy

    policy, _ = RewardPolicy.objects.get_or_create(channel=org.channel, defaults={"causes": "Red Cross"})
    substantiated = Outcome.objects.get(code="substantiated")
    policy.eligible_outcomes.add(substantiated)
    key = _key(org.supervisor)
    workflow.acknowledge_report(report=case.report, by=org.supervisor, private_key=key)
    workflow.close_report(report=case.report, by=org.supervisor, private_key=key, outcome=substantiated, reason="ok")


def _proposed(case: Case, org: Setup) -> None:
    from tipline.rewards import services as rewards

    _rewardable(case, org)
    org.reward_id = rewards.propose_reward(report=case.report, by=org.handler, amount=100, reason="x").pk  # type: ignore[attr-defined]


def _approved(case: Case, org: Setup) -> None:
    from tipline.accounts.models import StaffUser as Staff
    from tipline.rewards import services as rewards
    from tipline.rewards.models import Reward

    _proposed(case, org)
    rewards.approve_reward(reward=Reward.objects.get(pk=org.reward_id), by=Staff.objects.get(username="supervisor"))  # type: ignore[attr-defined]


def _claimed(method: str) -> Callable[[Case, Setup], None]:
    def prepare(case: Case, org: Setup) -> None:
        from tipline.register import services as register_services
        from tipline.rewards import services as rewards

        _approved(case, org)
        report, key = register_services.open_with_receipt(receipt_text=case.receipt, client_tag="matrix")
        claim = rewards.claim_reward(
            report=report,
            report_key=key,
            reward_id=org.reward_id,  # type: ignore[attr-defined]
            method=method,
            bank_details="IBAN X",
            cause="Red Cross",
            pin="123456",
        )
        org.claim_code = claim.claim_code  # type: ignore[attr-defined]

    return prepare


def _reward_path(suffix: str) -> Callable[[Case], str]:
    def path(c: Case) -> str:
        from tipline.rewards.models import Reward

        return f"/console/rewards/{Reward.objects.get(report=c.report).pk}/{suffix}"

    return path


REWARD_DECIDERS = frozenset({"supervisor", "reward_officer"})
REWARD_OFFICER = frozenset({"reward_officer"})
STEPS.update(
    {
        "rewards_overview": Step("get", lambda c: "/console/rewards/", _nothing, REWARD_DECIDERS),
        "reward_case": Step(
            "get",
            lambda c: f"/console/rewards/reports/{c.report.reference}/",
            _nothing,
            frozenset({"supervisor", "handler", "reward_officer"}),
        ),
        "reward_propose": Step(
            "post",
            lambda c: f"/console/rewards/reports/{c.report.reference}/propose/",
            lambda c, o: {"amount": 100, "reason": "Useful"},
            WORKERS,
            _rewardable,
        ),
        "reward_approve": Step("post", _reward_path("approve/"), _nothing, REWARD_DECIDERS, _proposed),
        "reward_refuse": Step(
            "post", _reward_path("refuse/"), lambda c, o: {"reason": "No"}, REWARD_DECIDERS, _proposed
        ),
        "reward_detail": Step("get", _reward_path(""), _nothing, REWARD_DECIDERS, _proposed),
        "reward_bank_details": Step("post", _reward_path("bank/"), _nothing, REWARD_OFFICER, _claimed("bank")),
        "reward_pay": Step(
            "post",
            _reward_path("pay/"),
            lambda c, o: {"reference": "TX", "paid_on": "2026-12-01"},
            REWARD_OFFICER,
            _claimed("donation"),
        ),
        "reward_cash_desk": Step(
            "post",
            lambda c: "/console/rewards/cash/",
            lambda c, o: {"code": o.claim_code, "pin": "123456", "reference": "C1"},  # type: ignore[attr-defined]
            REWARD_OFFICER,
            _claimed("cash"),
        ),
        "reward_payouts": Step("get", lambda c: "/console/rewards/payouts.csv", _nothing, REWARD_OFFICER),
        "commend": Step(
            "post", lambda c: f"/console/rewards/reports/{c.report.reference}/commend/", _nothing, REWARD_DECIDERS
        ),
    }
)
