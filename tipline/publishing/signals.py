"""Public pages show data owned by other apps (the report channels, the organisation's
name): when it changes, the public version moves so no page keeps the old one."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from tipline.accounts.context_processors import forget_site_name
from tipline.accounts.models import Organisation
from tipline.intake.models import Channel
from tipline.publishing.caching import bump_public_version
from tipline.publishing.templatetags.publishing import forget_profile


def _changed(sender: type[Any], **kwargs: Any) -> None:
    del sender, kwargs
    bump_public_version()
    forget_profile()
    forget_site_name()


def connect() -> None:
    for model in (Channel, Organisation):
        post_save.connect(_changed, sender=model, dispatch_uid=f"publishing-{model.__name__}-saved")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"publishing-{model.__name__}-deleted")
