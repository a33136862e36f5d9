from __future__ import annotations

from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "tipline.intake"
    label = "intake"

    def ready(self) -> None:
        from django.conf import settings  # noqa: PLC0415 - settings are ready only now

        from tipline.crypto import kdf  # noqa: PLC0415

        slots = settings.TIPLINE_KDF_SLOTS
        kdf.limit_concurrency(kdf.DerivationGate(slots, settings.TIPLINE_KDF_SLOT_DIR) if slots else None)
