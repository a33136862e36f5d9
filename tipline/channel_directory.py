"""The public directory of report channels: what a reader needs to reach each one.

The public channel (``tipline.publishing``) shows how to report, but must never
touch a report. It reads this narrow, report-free list instead of the register:
the register provides the list when it starts and announces changes with
:data:`changed`, so public pages that show channels can be refreshed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.dispatch import Signal

from tipline.local_text import pick

# The texts of a channel written per site language.
PUBLIC_TEXTS = ("name", "description", "hours", "postal_address")

# What tells a reader how to reach a channel of each kind; one of them is enough (a
# meeting may say where and how to ask for one in its description).
REACHED_BY: dict[str, tuple[str, ...]] = {
    "web": ("form_path",),
    "mailbox": ("email_address", "postal_address"),
    "phone": ("phone_number",),
    "post": ("postal_address",),
    "meeting": ("phone_number", "email_address", "postal_address", "description"),
}
_ANY_CONTACT = ("form_path", "email_address", "phone_number", "postal_address")


@dataclass(frozen=True)
class PublicChannel:
    """One open channel as the public sees it: no recipients, no deadlines, no reports."""

    slug: str
    # web, mailbox, phone, post or meeting; ``kind_label`` names it in the active language.
    kind: str
    name: str
    description: str
    email_address: str = ""
    postal_address: str = ""
    phone_number: str = ""
    hours: str = ""
    # The languages people can use with the channel, as the admin wrote them ("English, 中文").
    languages: str = ""
    kind_label: str = ""
    # The path of the web form for a web channel; empty for the others.
    form_path: str = ""
    # The texts of :data:`PUBLIC_TEXTS` above are in the default language; these are the
    # others: {"zh-hans": {"name": "…", "hours": "…"}} (a text not written is absent).
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def can_be_reached(self) -> bool:
        """Whether the directory tells a reader how to reach it (:data:`REACHED_BY`)."""
        return any(getattr(self, name) for name in REACHED_BY.get(self.kind, _ANY_CONTACT))

    def in_language(self, language: str) -> PublicChannel:
        """This channel with its texts in ``language``, or the default language's text
        marked as a fallback (:class:`~tipline.local_text.LocalText`)."""
        texts: dict[str, Any] = {
            name: pick(getattr(self, name), self.translations, name, language) for name in PUBLIC_TEXTS
        }
        return replace(self, **texts)


# Sent (without arguments) whenever what the directory lists may have changed.
changed = Signal()

_provider: list[Callable[[], list[PublicChannel]]] = []


def provide(provider: Callable[[], list[PublicChannel]]) -> None:
    """Set the function that lists the open channels (the register sets it at start)."""
    _provider[:] = [provider]


def public_channels() -> list[PublicChannel]:
    """Every channel open for reports that a reader can reach, in the order the admin chose;
    none before a provider is set. A channel without its number or address is left out of
    the page and of its JSON copy alike, rather than listed with nothing to reach it by."""
    channels = _provider[0]() if _provider else []
    return [channel for channel in channels if channel.can_be_reached]
