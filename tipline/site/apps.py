from __future__ import annotations

import logging
from typing import Any

from django.apps import AppConfig

logger = logging.getLogger(__name__)


class SiteConfig(AppConfig):
    """Site-wide wiring that belongs to no domain: the Argon2id gate, system checks, the
    admin site, middleware, ``serve``, ``housekeeping`` and the demo seed."""

    name = "tipline.site"
    label = "site"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save  # noqa: PLC0415

        from tipline.accounts.models import Organisation  # noqa: PLC0415 - models are ready only now
        from tipline.publishing.models import OfficialProfile, ProfileText  # noqa: PLC0415
        from tipline.site import checks  # noqa: F401, PLC0415 - registers the system checks

        _limit_derivations()
        # The site's name is the profile's name in the page's language, else the organisation's.
        for model in (Organisation, OfficialProfile, ProfileText):
            for event, signal in (("saved", post_save), ("deleted", post_delete)):
                signal.connect(_name_changed, sender=model, dispatch_uid=f"site-name-{model.__name__}-{event}")


def _name_changed(sender: type[Any], **kwargs: Any) -> None:
    from tipline.site.context_processors import forget_site_name  # noqa: PLC0415

    del sender, kwargs
    forget_site_name()


def _limit_derivations() -> None:
    """At most ``TIPLINE_KDF_SLOTS`` Argon2id derivations at once on this machine."""
    from django.conf import settings  # noqa: PLC0415 - settings are ready only now

    from tipline.crypto import kdf  # noqa: PLC0415

    slots = settings.TIPLINE_KDF_SLOTS
    if not slots:
        kdf.limit_concurrency(None)
        return
    try:
        gate = kdf.DerivationGate(slots, settings.TIPLINE_KDF_SLOT_DIR)
    except OSError as error:
        logger.warning(
            "Argon2id slots limited per process only: cannot use %s (%s)",
            settings.TIPLINE_KDF_SLOT_DIR,
            error.strerror,
        )
        gate = kdf.DerivationGate(slots, None)
    kdf.limit_concurrency(gate)
