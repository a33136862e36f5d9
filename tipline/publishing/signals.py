"""Public pages show data owned by other apps (the channel directory, the organisation's
name): when it changes, the public version moves so no page keeps the old one."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from tipline import channel_directory
from tipline.accounts.models import Organisation
from tipline.publishing.caching import bump_public_version
from tipline.publishing.templatetags.publishing import forget_profile


def _changed(sender: type[Any], **kwargs: Any) -> None:
    del sender, kwargs
    bump_public_version()
    forget_profile()


def connect() -> None:
    post_save.connect(_changed, sender=Organisation, dispatch_uid="publishing-Organisation-saved")
    post_delete.connect(_changed, sender=Organisation, dispatch_uid="publishing-Organisation-deleted")
    channel_directory.changed.connect(_changed, dispatch_uid="publishing-channels-changed")
