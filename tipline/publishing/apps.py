from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    name = "tipline.publishing"
    label = "publishing"
    verbose_name = _("Official channel")

    def ready(self) -> None:
        # Public pages list the report channels and the organisation's name: a change to
        # either must reach cached pages at once.
        from tipline.publishing import signals  # noqa: PLC0415 - models are ready only now

        signals.connect()
