from __future__ import annotations

from django.apps import AppConfig


class RewardsConfig(AppConfig):
    name = "tipline.rewards"
    label = "rewards"

    def ready(self) -> None:
        from tipline.rewards import reactions  # noqa: PLC0415 - models are ready only now

        reactions.connect()
