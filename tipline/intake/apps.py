from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    """The web form channel: reports sent through a form on this site."""

    name = "tipline.intake"
    label = "intake"
    verbose_name = _("Web form")
