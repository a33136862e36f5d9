"""What "How to report" says about each open channel: how to reach it, and how to report
safely that way. The page and its JSON copy (which other sites embed) are built from
here, so they never disagree.

The JSON document (``/how-to-report.json``, ``/zh-hans/how-to-report.json``) keeps its
keys stable; a change that removes or renames one raises :data:`FORMAT_VERSION`. Every
key is always present, text that is not set is ``""``. It holds only what the public
page shows: no recipients, no deadlines, no mailbox settings, nothing of a report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest
from django.utils.encoding import iri_to_uri
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tipline import channel_directory
from tipline.channel_directory import PublicChannel
from tipline.local_text import default_language
from tipline.publishing import languages, pages
from tipline.publishing.templatetags.publishing import public_url

FORMAT_VERSION = 1
ROW_DEFAULT = "publishing/channel_rows/default.html"

# Whatever the way in.
GENERAL_ADVICE: tuple[Promise, ...] = (
    _(
        "Use a device and a network that your employer does not control: a personal phone or computer, "
        "at home, not on the office Wi-Fi."
    ),
    _("For the most protection, use Tor Browser. This site works fully with JavaScript switched off."),
    _("Do not tell colleagues that you are reporting, and do not forward documents from your work e-mail."),
    _(
        "Photos and documents can reveal who made them. We remove hidden data from attachments, "
        "but leave out anything that names you."
    ),
    _(
        "Write down your receipt and keep it somewhere safe. It is the only way back to your report: "
        "we cannot recover it."
    ),
    _("If you are in danger now, call the emergency services first."),
)

_EMAIL_ADVICE: tuple[Promise, ...] = (
    _("Your e-mail address is visible to us unless you write from an anonymous mailbox."),
    _(
        "E-mail is not confidential on its way to us. Write from a personal device and network, "
        "never from your work account."
    ),
)
_POST_ADVICE: tuple[Promise, ...] = (
    _("You do not have to sign the letter or write a sender's address on the envelope."),
    _("Post it away from your workplace, and send copies of documents rather than originals."),
)
_KIND_ADVICE: dict[str, tuple[Promise, ...]] = {
    "web": (
        _("Use Tor Browser on a device of your own: not a work computer or phone, and not the office network."),
        _("You do not have to give your name."),
    ),
    "mailbox": _EMAIL_ADVICE,
    "phone": (
        _(
            "Your number may show on our side and stays in the phone company's records. If that matters, "
            "call from a phone that is not linked to you, never from a work phone."
        ),
        _(
            "You do not have to give your name. At the end of the call we read you a receipt: write it down, "
            "it is the only way back to your report."
        ),
    ),
    "post": _POST_ADVICE,
    "meeting": (
        _("Ask for a meeting from a personal phone or address, not from work, and do not tell colleagues about it."),
        _(
            "Bring copies of documents rather than originals. At the end we give you a receipt: keep it, "
            "it is the only way back to your report."
        ),
    ),
}


def advice_for(channel: PublicChannel) -> list[str]:
    """Short advice on reporting safely by this channel, in the active language."""
    advice = list(_KIND_ADVICE.get(channel.kind, ()))
    if channel.kind == "mailbox" and channel.postal_address:
        # A mailbox may take letters as well as e-mail, or letters only.
        advice = [*(_EMAIL_ADVICE if channel.email_address else ()), *_POST_ADVICE]
    return [str(line) for line in advice]


@dataclass(frozen=True)
class ChannelRow:
    """One channel on the page: its details, its form's link and its template."""

    channel: PublicChannel  # its name and description in the page's language
    url: str
    advice: list[str]
    written: PublicChannel | None = None  # as written: the default language, and the translations

    @property
    def templates(self) -> tuple[str, str]:
        # Each kind has its own row; a kind without a template still shows its name and description.
        return (f"publishing/channel_rows/{self.channel.kind}.html", ROW_DEFAULT)


def channel_rows(request: HttpRequest, language: str) -> list[ChannelRow]:
    """The open channels, in the admin's order, as the page shows them."""
    return [
        ChannelRow(
            channel=channel.in_language(language),
            url=pages.report_link(request, language, channel.form_path) if channel.form_path else "",
            advice=advice_for(channel),
            written=channel,
        )
        for channel in channel_directory.public_channels()
    ]


def _absolute(root: str, link: str) -> str:
    """A link as another site needs it: ours are relative on the live site."""
    return link if not link or urlsplit(link).scheme else iri_to_uri(f"{root}{link}")


def _channel_entry(row: ChannelRow, root: str) -> dict[str, Any]:
    channel = row.channel
    return {
        "slug": channel.slug,
        "kind": channel.kind,
        "kind_label": channel.kind_label,
        "name": channel.name,
        "description": channel.description,
        "form_url": _absolute(root, row.url),
        "email_address": channel.email_address,
        "postal_address": channel.postal_address,
        "phone_number": channel.phone_number,
        "hours": channel.hours,
        "languages": channel.languages,
        "advice": row.advice,
        "translations": _translations(row.written or channel),
    }


def _translations(channel: PublicChannel) -> dict[str, dict[str, str]]:
    """The name, description, hours and postal address in every site language they are
    written in, by BCP 47 tag."""
    texts = {default_language(): {key: str(getattr(channel, key)) for key in channel_directory.PUBLIC_TEXTS}}
    for language, translated in channel.translations.items():
        texts[language] = {key: str(translated.get(key, "")) for key in channel_directory.PUBLIC_TEXTS}
    return {
        languages.hreflang(language): {key: text for key, text in values.items() if text}
        for language, values in texts.items()
    }


def directory_document(request: HttpRequest, language: str) -> dict[str, Any]:
    """The JSON copy of the page in ``language`` (keys in docs/features.md)."""
    root = pages.base_url(request)
    return {
        "format": FORMAT_VERSION,
        "language": languages.hreflang(language),
        "organisation": pages.organisation_name(language),
        "page_url": _absolute(root, public_url("publishing:how_to_report", language=language)),
        "portal_url": _absolute(root, pages.report_link(request, language, "/portal/")),
        "channels": [_channel_entry(row, root) for row in channel_rows(request, language)],
        "advice": [str(line) for line in GENERAL_ADVICE],
    }
