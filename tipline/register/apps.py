from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegisterConfig(AppConfig):
    name = "tipline.register"
    label = "register"
    verbose_name = _("Reports and channels")

    def ready(self) -> None:
        # The register answers to lower layers through the registries they offer.
        from tipline.register import reactions  # noqa: PLC0415 - models are ready only now

        reactions.connect()
