"""Claims and payments: each payout method, bad and abusive input, nothing paid twice,
payment details destroyed, the accounting export without reporter data."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from tipline.accounts import services as accounts
from tipline.accounts.models import Role
from tipline.conftest import PASSWORD
from tipline.rewards import services
from tipline.rewards.exceptions import (
    AwardExpired,
    AwardRefused,
    InvalidClaimCode,
    MethodNotOffered,
    MissingPayoutDetails,
    NoRewardOfficer,
    RewardNotAllowed,
    RewardNotFound,
    TooManyClaimAttempts,
    WrongState,
)
from tipline.rewards.models import PayoutMethod, ReporterCode, Reward, RewardSeal
from tipline.rewards.tests.conftest import Rewards, closed_report

BANK = "Account holder A. Nonymous, IBAN DE89370400440532013000"


def approved(rw: Rewards, amount: int = 1000) -> Reward:
    reward = services.propose_reward(report=rw.report, by=rw.org.handler, amount=amount, reason="Useful")
    return services.approve_reward(reward=reward, by=rw.officer)


def _claim(rw: Rewards, reward: Reward, method: str, **kwargs: str) -> services.Claim:
    return services.claim_reward(
        report=rw.report, report_key=rw.report_key, reward_id=reward.pk, method=method, **kwargs
    )


def test_bank_details_are_sealed_to_reward_officers_and_destroyed_on_payment(rw: Rewards) -> None:
    reward = approved(rw)
    claim = _claim(rw, reward, PayoutMethod.BANK, bank_details=BANK)
    assert claim.reward.state == Reward.State.CLAIMED
    assert BANK.encode() not in bytes(claim.reward.bank_ct or b"")
    assert set(RewardSeal.objects.values_list("user__username", flat=True)) == {"officer", "officer2"}
    text = services.read_bank_details(reward=claim.reward, by=rw.officer, private_key=rw.key(rw.officer))
    assert text == BANK
    with pytest.raises(RewardNotAllowed):  # a supervisor is not a reward officer
        services.read_bank_details(reward=claim.reward, by=rw.org.supervisor, private_key=rw.key(rw.org.supervisor))
    paid = services.record_payment(reward=claim.reward, by=rw.officer, reference="TX-1", paid_on=date(2026, 12, 1))
    assert paid.state == Reward.State.PAID
    assert paid.bank_ct is None
    assert not RewardSeal.objects.exists()
    with pytest.raises(WrongState):  # never paid twice
        services.record_payment(reward=paid, by=rw.officer, reference="TX-2", paid_on=date(2026, 12, 2))


def test_bank_details_need_a_reward_officer_to_receive_them(rw: Rewards) -> None:
    reward = approved(rw)
    for officer in (rw.officer, rw.second_officer):
        officer.is_active = False
        officer.save()
    with pytest.raises(NoRewardOfficer):
        _claim(rw, reward, PayoutMethod.BANK, bank_details=BANK)
    reward.refresh_from_db()
    assert reward.state == Reward.State.APPROVED


def test_cash_is_paid_once_against_the_code_and_pin(rw: Rewards) -> None:
    reward = approved(rw)
    claim = _claim(rw, reward, PayoutMethod.CASH, pin="482913")
    assert len(claim.claim_code.replace("-", "")) == 16
    assert claim.reward.pin_hash
    assert "482913" not in claim.reward.pin_hash
    shown = services.claim_code_for_reporter(report=rw.report, report_key=rw.report_key, reward=claim.reward)
    assert shown == claim.claim_code
    with pytest.raises(InvalidClaimCode):
        services.collect_cash(code=claim.claim_code, pin="000000", by=rw.officer, reference="C1", client_tag="desk")
    with pytest.raises(InvalidClaimCode):
        services.collect_cash(
            code="AAAA-BBBB-CCCC-DDDD", pin="482913", by=rw.officer, reference="C1", client_tag="desk"
        )
    paid = services.collect_cash(
        code=claim.claim_code.lower(), pin="482913", by=rw.officer, reference="C1", client_tag="desk"
    )
    assert paid.state == Reward.State.PAID
    assert paid.claim_code_digest is None
    assert not ReporterCode.objects.exists()
    with pytest.raises(InvalidClaimCode):  # a used code pays nothing
        services.collect_cash(code=claim.claim_code, pin="482913", by=rw.officer, reference="C2", client_tag="desk")


def test_wrong_codes_are_rate_limited(rw: Rewards, settings: object) -> None:
    settings.TIPLINE_CLAIM_CODES_PER_CLIENT = 3  # type: ignore[attr-defined]
    settings.TIPLINE_CLAIM_CODES_OVERFLOW = 0  # type: ignore[attr-defined]
    for _ in range(3):
        with pytest.raises(InvalidClaimCode):
            services.collect_cash(code="WRONG", pin="123456", by=rw.officer, reference="x", client_tag="desk")
    with pytest.raises(TooManyClaimAttempts):
        services.collect_cash(code="WRONG", pin="123456", by=rw.officer, reference="x", client_tag="desk")


def test_only_a_reward_officer_pays(rw: Rewards) -> None:
    reward = approved(rw)
    claim = _claim(rw, reward, PayoutMethod.DONATION, cause="Red Cross")
    with pytest.raises(RewardNotAllowed):
        services.record_payment(reward=claim.reward, by=rw.org.supervisor, reference="x", paid_on=date(2026, 1, 1))
    with pytest.raises(RewardNotAllowed):
        services.collect_cash(code="x", pin="1", by=rw.org.supervisor, reference="x", client_tag="t")


def test_a_donation_goes_to_a_listed_cause_only(rw: Rewards) -> None:
    reward = approved(rw)
    with pytest.raises(MissingPayoutDetails):
        _claim(rw, reward, PayoutMethod.DONATION, cause="My own charity")
    claim = _claim(rw, reward, PayoutMethod.DONATION, cause="Transparency International")
    assert claim.reward.cause == "Transparency International"


def test_a_method_the_channel_does_not_offer_is_refused(rw: Rewards) -> None:
    rw.policy.allow_cash = False
    rw.policy.save()
    reward = approved(rw)
    with pytest.raises(MethodNotOffered):
        _claim(rw, reward, PayoutMethod.CASH, pin="123456")
    with pytest.raises(MethodNotOffered):
        _claim(rw, reward, "crypto")


def test_a_short_pin_is_refused(rw: Rewards) -> None:
    with pytest.raises(MissingPayoutDetails):
        _claim(rw, approved(rw), PayoutMethod.CASH, pin="12")


def test_declining_ends_the_award_and_frees_the_budget(rw: Rewards) -> None:
    reward = approved(rw, amount=3000)
    claim = _claim(rw, reward, PayoutMethod.DECLINE)
    assert claim.reward.state == Reward.State.DECLINED
    assert services.budget_used(policy=rw.policy, year=reward.budget_year) == 0


def test_a_second_claim_is_refused(rw: Rewards) -> None:
    reward = approved(rw)
    _claim(rw, reward, PayoutMethod.DONATION, cause="Red Cross")
    with pytest.raises(WrongState):
        _claim(rw, reward, PayoutMethod.BANK, bank_details=BANK)


def test_an_expired_or_refused_or_unapproved_award_cannot_be_claimed(rw: Rewards) -> None:
    reward = approved(rw)
    Reward.objects.filter(pk=reward.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(AwardExpired):
        _claim(rw, reward, PayoutMethod.DECLINE)
    Reward.objects.filter(pk=reward.pk).update(expires_at=timezone.now() + timedelta(days=1))
    services.refuse_reward(reward=reward, by=rw.org.supervisor, reason="Fraud found")
    with pytest.raises(AwardRefused):
        _claim(rw, reward, PayoutMethod.DECLINE)
    report, _, key = closed_report(rw.org, what="Other")
    proposed = services.propose_reward(report=report, by=rw.org.handler, amount=200, reason="x")
    with pytest.raises(WrongState):
        services.claim_reward(report=report, report_key=key, reward_id=proposed.pk, method=PayoutMethod.DECLINE)


def test_a_reporter_cannot_claim_another_reports_award(rw: Rewards) -> None:
    reward = approved(rw)
    report, _, key = closed_report(rw.org, what="Other")
    with pytest.raises(RewardNotFound):
        services.claim_reward(report=report, report_key=key, reward_id=reward.pk, method=PayoutMethod.DECLINE)


def test_the_payouts_export_holds_no_reporter_data(rw: Rewards) -> None:
    reward = approved(rw)
    claim = _claim(rw, reward, PayoutMethod.BANK, bank_details=BANK)
    services.record_payment(reward=claim.reward, by=rw.officer, reference="=HYPERLINK(1)", paid_on=date(2026, 12, 3))
    text = "".join(services.payouts_csv())
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "award"
    assert rows[1][3:6] == ["1000", "EUR", "bank"]
    assert rows[1][7] == "'=HYPERLINK(1)"
    assert rw.report.reference not in text
    assert "IBAN" not in text


def test_a_new_reward_officer_pays_but_cannot_read_details_sealed_before_them(rw: Rewards) -> None:
    reward = approved(rw)
    claim = _claim(rw, reward, PayoutMethod.BANK, bank_details=BANK)
    late = accounts.create_staff(username="late", password=PASSWORD, roles=[Role.REWARD_OFFICER])
    with pytest.raises(RewardNotAllowed):
        services.read_bank_details(reward=claim.reward, by=late, private_key=rw.key(late))


def test_a_report_destroyed_under_retention_takes_its_payment_details_with_it(rw: Rewards) -> None:
    from tipline.cases.services import retention

    reward = approved(rw)
    _claim(rw, reward, PayoutMethod.BANK, bank_details=BANK)
    report = rw.report
    report.refresh_from_db()
    with transaction.atomic():
        retention._destroy(report=report, now=timezone.now())
    reward.refresh_from_db()
    assert reward.bank_ct is None
    assert reward.reason == ""
    assert not RewardSeal.objects.exists()
