from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RewardsConfig(AppConfig):
    name = "tipline.rewards"
    label = "rewards"
    verbose_name = _("Rewards")

    def ready(self) -> None:
        from tipline.rewards import reactions  # noqa: PLC0415 - models are ready only now

        reactions.connect()
