"""How rewards answer to the register, wired once at start (:meth:`RewardsConfig.ready`):
when a report is destroyed under retention, what its rewards hold about the reporter goes
with it (bank details and their sealed keys, the reporter's copies of codes, the reason)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from tipline.register.models import Report
from tipline.rewards.models import Commendation, ReporterCode, Reward, RewardSeal


def forget_reporter_data(*, report: Report) -> None:
    """Run in the purge's transaction. Amounts, states and payments stay for accounting;
    an issued commendation stays verifiable (its code is the reporter's, not stored)."""
    rewards = Reward.objects.filter(report=report)
    RewardSeal.objects.filter(reward__in=rewards).delete()
    ReporterCode.objects.filter(reward__in=rewards).delete()
    rewards.update(bank_ct=None, reason_ct=b"", refusal_reason_ct=b"")
    Commendation.objects.filter(report=report).update(code_ct=None)


def _report_saved(sender: type[Any], instance: Report, **kwargs: Any) -> None:
    del sender, kwargs
    if instance.purged_at is not None:
        forget_reporter_data(report=instance)


def connect() -> None:
    post_save.connect(_report_saved, sender=Report, dispatch_uid="rewards.report_purged")
