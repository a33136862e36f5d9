"""Languages of the public channel: one URL per page and language.

The default language lives at the root (``/articles/x/``), every other one under
its code (``/zh-hans/articles/x/``). The language of a public page comes from its
address alone, never from a cookie or a header, so a CDN or a static copy can serve
each address to everyone.
"""

from __future__ import annotations

import re

from django.conf import settings


def default_language() -> str:
    return str(settings.LANGUAGE_CODE)


def public_languages() -> list[str]:
    return [str(code) for code, _ in settings.LANGUAGES]


def language_name(code: str) -> str:
    return str(dict(settings.LANGUAGES).get(code, code))


def prefix(language: str) -> str:
    """The path prefix of a language: empty for the default one."""
    return "" if language == default_language() else f"/{language}"


def is_supported(code: str) -> bool:
    return code in public_languages()


def hreflang(code: str) -> str:
    """BCP 47 form of a Django language code (``zh-hans`` → ``zh-Hans``)."""
    head, _, tail = code.partition("-")
    if not tail:
        return head
    return f"{head}-{tail.title() if len(tail) == 4 else tail.upper()}"


class PrefixedLanguageConverter:
    """Matches the code of every public language except the default one."""

    regex = "|".join(re.escape(code) for code in public_languages() if code != default_language()) or "(?!)"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class UnicodeSlugConverter:
    """Slugs in any script (tags and titles in Chinese make Chinese slugs)."""

    regex = r"[-\w]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class YearConverter:
    regex = r"[0-9]{4}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return f"{value:04d}"


class MonthConverter:
    regex = r"0[1-9]|1[0-2]"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return f"{value:02d}"
