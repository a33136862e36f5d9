"""Mail written to a reporter (the reply to a mail report, a handler's answer by e-mail):
nothing tells which site language they read, so each text is written in every site
language, the default one first."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from tipline.local_text import default_language, other_languages

# Between the languages of one mail body.
SEPARATOR = "\n\n" + "-" * 40 + "\n\n"


def site_languages() -> list[str]:
    return [default_language(), *(code.lower() for code, _name in other_languages())]


def in_every_language(write: Callable[[str], str], *, separator: str = SEPARATOR) -> str:
    """``write(language)`` called with each site language active, joined (a language whose
    catalogue gives the same text as an earlier one is not repeated)."""
    texts: list[str] = []
    for language in site_languages():
        with translation.override(language):
            text = write(language)
        if text not in texts:
            texts.append(text)
    return separator.join(texts)


def subject_in_every_language(write: Callable[[str], str]) -> str:
    return in_every_language(write, separator=" / ")


def portal_address() -> str:
    """The portal's log-in page (its language follows the reader's browser or choice)."""
    return settings.TIPLINE_SITE_URL + reverse("portal:login")


def how_to_report_address(language: str) -> str:
    """The public page on how to report, in ``language`` (its language is in its address)."""
    kwargs = {} if language == default_language() else {"lang": language}
    return settings.TIPLINE_SITE_URL + reverse("publishing:how_to_report", kwargs=kwargs or None)
