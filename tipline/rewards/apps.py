from __future__ import annotations

from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "tipline.rewards"
    label = "rewards"
