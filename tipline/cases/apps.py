from __future__ import annotations

from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "tipline.cases"
    label = "cases"

    def ready(self) -> None:
        from tipline.cases import reactions  # noqa: PLC0415 - models are ready only now

        reactions.connect()
