"""How the register answers to the layers below it, wired once at start
(:meth:`RegisterConfig.ready`): keys re-sealed when a person's key pair is replaced,
and the public channel directory. (A change of roles is answered by case handling,
which knows exclusions: ``tipline.cases.reactions``.)"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.db.models.signals import post_delete, post_save

from tipline import channel_directory
from tipline.accounts import hooks
from tipline.register import keyring, public_paths, uploads
from tipline.register.models import Channel, ChannelKind, QuestionnaireVersion


def list_public_channels() -> list[channel_directory.PublicChannel]:
    """The open channels that can take reports, as the public directory shows them (no
    report data, no recipients, no mailbox settings), with the kind named in the active
    language. A channel without a published questionnaire is left out: its form would
    answer 404 and the call-taker's screen would refuse the call (a mailbox publishes its
    own with the first mail); so is a web form without a question."""
    published = Exists(QuestionnaireVersion.objects.filter(channel=OuterRef("pk")))
    ready = Channel.objects.filter(Q(kind=ChannelKind.MAILBOX) | published, is_active=True)
    return [
        channel_directory.PublicChannel(
            slug=channel.slug,
            kind=channel.kind,
            name=channel.name,
            description=channel.description,
            email_address=channel.email_address,
            postal_address=channel.postal_address,
            phone_number=channel.phone_number,
            hours=channel.hours,
            languages=channel.languages,
            kind_label=str(channel.get_kind_display()),
            form_path=public_paths.path_of(channel),
            translations={
                language: {key: text for key, text in texts.items() if key in channel_directory.PUBLIC_TEXTS}
                for language, texts in (channel.translations or {}).items()
            },
        )
        for channel in ready.order_by("order", "name")
        if channel.kind != ChannelKind.WEB or channel.asks_something()
    ]


def _channel_changed(sender: type[Any], **kwargs: Any) -> None:
    del sender, kwargs
    channel_directory.changed.send(sender=Channel)


def connect() -> None:
    uploads.allow_long_file_names()
    hooks.on_key_pair_replaced(keyring.reseal_from_escrow)
    channel_directory.provide(list_public_channels)
    post_save.connect(_channel_changed, sender=Channel, dispatch_uid="register-channel-saved")
    post_delete.connect(_channel_changed, sender=Channel, dispatch_uid="register-channel-deleted")
    # Publishing a questionnaire can put a channel on the directory (its first one; a web form's first question).
    post_save.connect(_channel_changed, sender=QuestionnaireVersion, dispatch_uid="register-questionnaire-saved")
