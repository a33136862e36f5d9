from __future__ import annotations

from importlib import import_module

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class JobsConfig(AppConfig):
    name = "tipline.jobs"
    label = "jobs"
    verbose_name = "Background jobs"

    def ready(self) -> None:
        # Every process knows every job kind, so ``enqueue`` can refuse a misspelt one.
        import_module("tipline.jobs.builtin")
        autodiscover_modules("jobs")
