"""The reporter's claim, and the reward officer's payment. Nothing is paid twice: every
change of state is a conditional update of the locked row, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tipline.accounts.models import Role, StaffKey, StaffUser
from tipline.audit import services as audit
from tipline.crypto import boxes
from tipline.crypto.errors import DecryptionFailed
from tipline.limits import services as limits
from tipline.register import binding
from tipline.register.models import Report
from tipline.rewards.exceptions import (
    AwardExpired,
    AwardRefused,
    InvalidClaimCode,
    KeyLocked,
    MethodNotOffered,
    MissingPayoutDetails,
    NoRewardOfficer,
    RewardNotAllowed,
    RewardNotFound,
    TooManyClaimAttempts,
    WrongState,
)
from tipline.rewards.models import PayoutMethod, ReporterCode, Reward, RewardSeal
from tipline.rewards.permissions import RewardAction, require
from tipline.rewards.services import codes

CLAIM_CODE_PURPOSE = b"claim-code"


@dataclass(frozen=True)
class Claim:
    """What a reporter is shown once after claiming (the cash claim code; empty otherwise)."""

    reward: Reward
    claim_code: str = ""


def _bank_place(reward_id: int) -> bytes:
    return binding.context("reward-bank", reward_id)


def _code_place(reference: str, reward_id: int) -> bytes:
    return binding.context("reward-claim-code", reference, reward_id)


def _officer_keys() -> list[tuple[int, bytes]]:
    keys = StaffKey.objects.filter(user__is_active=True, user__role_grants__role=Role.REWARD_OFFICER).distinct()
    return [(user_id, bytes(key)) for user_id, key in keys.values_list("user_id", "public_key")]


def _check_claimable(reward: Reward) -> None:
    if reward.state == Reward.State.REFUSED:
        raise AwardRefused
    if reward.is_expired:
        raise AwardExpired
    if reward.state != Reward.State.APPROVED:
        raise WrongState


def claim_reward(
    *,
    report: Report,
    report_key: bytes,
    reward_id: int,
    method: str,
    bank_details: str = "",
    cause: str = "",
    pin: str = "",
) -> Claim:
    """The reporter claims an approved award with one of the channel's payout methods.

    Bank details are encrypted under a fresh key sealed to every active reward officer;
    cash collection gets a one-time claim code (kept as a keyed digest, and under the report
    key so the reporter can read it again) and the PIN they chose (Argon2id). Derivations
    and sealing run before the transaction; the claim itself is one conditional update.
    """
    reward = Reward.objects.select_related("policy").filter(pk=reward_id, report=report).first()
    if reward is None:
        raise RewardNotFound
    _check_claimable(reward)
    if method not in reward.policy.methods():
        raise MethodNotOffered
    changes: dict[str, object] = {"method": method, "state": Reward.State.CLAIMED}
    seals: list[RewardSeal] = []
    code = ""
    if method == PayoutMethod.BANK:
        if not bank_details.strip():
            raise MissingPayoutDetails
        officers = _officer_keys()
        if not officers:
            raise NoRewardOfficer
        key = boxes.new_key()
        changes["bank_ct"] = boxes.encrypt(key, bank_details.strip().encode(), context=_bank_place(reward.pk))
        seals = [RewardSeal(reward=reward, user_id=uid, sealed_key=boxes.seal(pub, key)) for uid, pub in officers]
    elif method == PayoutMethod.CASH:
        if not (pin.isdigit() and 6 <= len(pin) <= 12):
            raise MissingPayoutDetails
        code = codes.new_code(10)
        changes["claim_code_digest"] = codes.code_digest(code, purpose=CLAIM_CODE_PURPOSE)
        changes["pin_hash"] = codes.hash_pin(pin)
    elif method == PayoutMethod.DONATION:
        if cause not in reward.policy.cause_list():
            raise MissingPayoutDetails
        changes["cause"] = cause
    else:
        changes["state"] = Reward.State.DECLINED
    with transaction.atomic():
        locked = Reward.objects.select_for_update().get(pk=reward.pk)
        _check_claimable(locked)
        now = timezone.now()
        done = Reward.objects.filter(pk=reward.pk, state=Reward.State.APPROVED, expires_at__gt=now).update(
            claimed_at=now, **changes
        )
        if done != 1:  # another claim won the race
            raise WrongState
        RewardSeal.objects.bulk_create(seals)
        if code:
            _keep_code_for_reporter(report=report, report_key=report_key, reward_id=reward.pk, code=code)
        audit.record(
            action="reward.declined" if method == PayoutMethod.DECLINE else "reward.claimed",
            report_ref=report.reference,
            detail={"reward": reward.pk, "method": method},
        )
    reward.refresh_from_db()
    return Claim(reward=reward, claim_code=code)


def _keep_code_for_reporter(*, report: Report, report_key: bytes, reward_id: int, code: str) -> None:
    ReporterCode.objects.update_or_create(
        reward_id=reward_id,
        defaults={
            "code_ct": boxes.encrypt(report_key, code.encode(), context=_code_place(report.reference, reward_id))
        },
    )


def claim_code_for_reporter(*, report: Report, report_key: bytes, reward: Reward) -> str:
    """The cash claim code of an award waiting for collection, for its reporter ('' otherwise)."""
    if reward.state != Reward.State.CLAIMED or reward.method != PayoutMethod.CASH:
        return ""
    row = ReporterCode.objects.filter(reward=reward).first()
    if row is None:
        return ""
    try:
        return boxes.decrypt(report_key, bytes(row.code_ct), context=_code_place(report.reference, reward.pk)).decode()
    except DecryptionFailed:
        return ""


def read_bank_details(*, reward: Reward, by: StaffUser, private_key: bytes | None) -> str:
    """A reward officer opens the bank details sealed to them (audited)."""
    require(by, RewardAction.PAY)
    if private_key is None:
        raise KeyLocked
    seal = RewardSeal.objects.filter(reward=reward, user=by).first()
    if seal is None or reward.bank_ct is None:
        raise RewardNotAllowed
    key = boxes.unseal(private_key, bytes(seal.sealed_key))
    text = boxes.decrypt(key, bytes(reward.bank_ct), context=_bank_place(reward.pk)).decode()
    audit.record(
        action="reward.bank_details_read", actor=by, report_ref=reward.report.reference, detail={"reward": reward.pk}
    )
    return text


def record_payment(*, reward: Reward, by: StaffUser, reference: str, paid_on: date) -> Reward:
    """The reward officer records the payment; the payment details are destroyed with it."""
    require(by, RewardAction.PAY)
    with transaction.atomic():
        Reward.objects.select_for_update().filter(pk=reward.pk).first()
        done = Reward.objects.filter(pk=reward.pk, state=Reward.State.CLAIMED).update(
            state=Reward.State.PAID,
            paid_at=timezone.now(),
            paid_by=by,
            payment_reference=reference.strip(),
            payment_date=paid_on,
            bank_ct=None,
            claim_code_digest=None,
            pin_hash="",
        )
        if done != 1:
            raise WrongState
        RewardSeal.objects.filter(reward_id=reward.pk).delete()
        ReporterCode.objects.filter(reward_id=reward.pk).delete()
        audit.record(action="reward.paid", actor=by, report_ref=reward.report.reference, detail={"reward": reward.pk})
    reward.refresh_from_db()
    return reward


def claim_code_policy() -> limits.Policy:
    return limits.Policy(
        scope="reward-claim-codes",
        per_client=settings.TIPLINE_CLAIM_CODES_PER_CLIENT,
        overflow=settings.TIPLINE_CLAIM_CODES_OVERFLOW,
        window=settings.TIPLINE_LIMITS_WINDOW_SECONDS,
    )


def collect_cash(*, code: str, pin: str, by: StaffUser, reference: str, client_tag: str) -> Reward:
    """At the cash desk: the claim code and PIN the reporter shows pay their award once.

    A wrong, malformed or already used code, or a wrong PIN, is one refusal, counted against
    the allowance of the desk (``tipline.limits``, like receipts)."""
    require(by, RewardAction.PAY)
    grant = limits.admit(claim_code_policy(), client_tag=client_tag)
    if grant is None:
        raise TooManyClaimAttempts
    digest = codes.code_digest(code, purpose=CLAIM_CODE_PURPOSE)
    reward = (
        Reward.objects.filter(claim_code_digest=digest, state=Reward.State.CLAIMED, method=PayoutMethod.CASH).first()
        if digest
        else None
    )
    if reward is None or not codes.pin_matches(pin, reward.pin_hash):
        raise InvalidClaimCode
    paid = record_payment(reward=reward, by=by, reference=reference or "cash", paid_on=timezone.localdate())
    limits.give_back(grant)
    return paid


def payouts_csv() -> Iterator[str]:
    """Paid awards for accounting: amounts, methods, references, dates; no reporter data."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["award", "channel", "budget_year", "amount", "currency", "method", "cause", "reference", "paid_on"]
    )
    rows = (
        Reward.objects.filter(state=Reward.State.PAID).select_related("policy__channel").order_by("payment_date", "pk")
    )
    for reward in rows.iterator():
        writer.writerow(
            _cell(cell)
            for cell in [
                reward.pk,
                reward.policy.channel.slug,
                reward.budget_year,
                reward.amount,
                reward.currency,
                reward.method,
                reward.cause,
                reward.payment_reference,
                reward.payment_date.isoformat() if reward.payment_date else "",
            ]
        )
    yield buffer.getvalue()


def _cell(value: object) -> str:
    """A spreadsheet never runs a cell as a formula (a reference typed by staff could start with =)."""
    text = str(value)
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text
