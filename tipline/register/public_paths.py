"""Where the public reaches each kind of channel on this site, filled by the channel apps.

The register lists channels for the public directory (``tipline.channel_directory``) but
knows none of the apps above it; a channel app that has a page of its own registers it
here when it starts (the web form does: its form's address).
"""

from __future__ import annotations

from collections.abc import Callable

from tipline.register.models import Channel

_paths: dict[str, Callable[[Channel], str]] = {}


def on_kind(kind: str, path: Callable[[Channel], str]) -> None:
    """Register the address of a channel of ``kind`` (called by the channel app at start)."""
    _paths[kind] = path


def path_of(channel: Channel) -> str:
    """The channel's page on this site, or "" when its kind has none (a phone line)."""
    path = _paths.get(channel.kind)
    return path(channel) if path is not None else ""
