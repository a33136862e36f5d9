from __future__ import annotations

from django.contrib import admin

from tipline.rewards.models import RewardPolicy


@admin.register(RewardPolicy)
class RewardPolicyAdmin(admin.ModelAdmin[RewardPolicy]):
    """Reward policies per channel. Awards themselves are worked in the console, never here
    (payment details are sealed to reward officers)."""

    list_display = [
        "channel",
        "currency",
        "min_amount",
        "max_amount",
        "yearly_budget",
        "second_approval_above",
        "is_active",
    ]
    filter_horizontal = ["eligible_outcomes"]
