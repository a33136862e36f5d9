from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallsConfig(AppConfig):
    """Reports taken by staff: by phone, from a letter, or in a meeting (the call-taker's screen)."""

    name = "tipline.calls"
    label = "calls"
    verbose_name = _("Calls, letters and meetings")
