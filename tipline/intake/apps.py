from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    """The web form channel: reports sent through a form on this site."""

    name = "tipline.intake"
    label = "intake"
    verbose_name = _("Web form")

    def ready(self) -> None:
        from django.urls import reverse  # noqa: PLC0415

        from tipline.intake.services import known_blobs  # noqa: PLC0415
        from tipline.register import public_paths  # noqa: PLC0415 - models are ready only now
        from tipline.register.models import ChannelKind  # noqa: PLC0415
        from tipline.register.services import register_blob_keeper  # noqa: PLC0415

        register_blob_keeper(known_blobs)
        public_paths.on_kind(ChannelKind.WEB, lambda channel: reverse("intake:submit", args=[channel.slug]))
