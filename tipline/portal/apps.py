from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The reporter's portal: back to a report with its receipt, anonymously."""

    name = "tipline.portal"
    label = "portal"
    verbose_name = _("Reporter's portal")
