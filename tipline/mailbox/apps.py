from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailboxConfig(AppConfig):
    """The mailbox channel: reports sent by e-mail, read over IMAP by ``tipline worker``."""

    name = "tipline.mailbox"
    label = "mailbox"
    verbose_name = _("Mailbox")

    def ready(self) -> None:
        from tipline.mailbox import services  # noqa: PLC0415 - models are ready only now
        from tipline.register import quarantine  # noqa: PLC0415
        from tipline.register.models import ChannelKind  # noqa: PLC0415

        quarantine.on_retry(ChannelKind.MAILBOX, services.retry_quarantined)
