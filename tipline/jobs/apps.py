from __future__ import annotations

from importlib import import_module

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "tipline.jobs"
    label = "jobs"
    verbose_name = _("Background jobs")

    def ready(self) -> None:
        # Every process knows every job kind, so ``enqueue`` can refuse a misspelt one.
        import_module("tipline.jobs.builtin")
        autodiscover_modules("jobs")
