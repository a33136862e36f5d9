from __future__ import annotations

import logging

from django.apps import AppConfig

logger = logging.getLogger(__name__)


class IntakeConfig(AppConfig):
    name = "tipline.intake"
    label = "intake"

    def ready(self) -> None:
        from django.conf import settings  # noqa: PLC0415 - settings are ready only now

        from tipline.crypto import kdf  # noqa: PLC0415
        from tipline.intake import checks  # noqa: F401, PLC0415 - registers the system checks

        slots = settings.TIPLINE_KDF_SLOTS
        if not slots:
            kdf.limit_concurrency(None)
            return
        try:
            gate = kdf.DerivationGate(slots, settings.TIPLINE_KDF_SLOT_DIR)
        except OSError as error:
            logger.warning(
                "Argon2id slots limited per process only: cannot use %s (%s)",
                settings.TIPLINE_KDF_SLOT_DIR,
                error.strerror,
            )
            gate = kdf.DerivationGate(slots, None)
        kdf.limit_concurrency(gate)
