"""Texts written per site language (a channel's name, a question and its choices), and
the fallback shown when one is missing.

An admin writes each text in the site's default language (``settings.LANGUAGE_CODE``,
English by default) in the record's own column, and in the other site languages in a
``translations`` JSON field: ``{"zh-hans": {"name": "…", "privacy_notice": "…"}}``. A
reader sees the text in their language; where it is missing they see the default
language's text, marked with its ``lang`` so that a screen reader switches voice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.translation import get_language


class LocalText(str):
    """A text in the reader's language, or (``lang`` set) the default language's text in
    its place. In a template it is escaped, and a fallback is wrapped in
    ``<span lang="…">`` so that assistive technology reads it in the right voice."""

    lang: str

    def __new__(cls, text: str, lang: str = "") -> LocalText:
        instance = super().__new__(cls, text)
        instance.lang = lang if text else ""
        return instance

    @property
    def is_fallback(self) -> bool:
        return bool(self.lang)

    def __html__(self) -> SafeString:
        if self.lang:
            return SafeString(f'<span lang="{escape(self.lang)}">{escape(str(self))}</span>')
        return escape(str(self))

    def __reduce__(self) -> tuple[Any, ...]:
        return (LocalText, (str(self), self.lang))


def default_language() -> str:
    """The language of the records' own columns: the site's default language."""
    return str(settings.LANGUAGE_CODE).lower()


def site_language(language: str | None) -> str:
    """``language`` as one of ``settings.LANGUAGES`` (``zh-Hans`` and ``zh-hans`` are one);
    the default language when it is none of them or not given."""
    wanted = (language or get_language() or "").lower()
    codes = [code.lower() for code, _name in settings.LANGUAGES]
    if wanted in codes:
        return wanted
    base = wanted.split("-")[0]
    return next((code for code in codes if code.split("-")[0] == base), default_language())


def other_languages() -> list[tuple[str, str]]:
    """The site languages other than the default one, as ``(code, name)``: those kept in
    ``translations``."""
    return [(code, str(name)) for code, name in settings.LANGUAGES if code.lower() != default_language()]


def pick(default: str, translations: Mapping[str, Any], field: str, language: str | None = None) -> LocalText:
    """The text ``field`` in ``language`` (the active language when not given): its
    translation, or the default language's text marked as a fallback."""
    wanted = site_language(language)
    if wanted == default_language():
        return LocalText(default)
    text = translations.get(wanted, {}).get(field, "") if isinstance(translations, Mapping) else ""
    if isinstance(text, str) and text.strip():
        return LocalText(text)
    return LocalText(default, lang=default_language())


def unix_lines(text: str) -> str:
    """``text`` with every line ending as ``\n``: a browser sends a textarea's lines ended by
    ``\r\n``, and what is published (a postal address in JSON) promises ``\n``."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def clean_translations(value: Any, fields: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """Only known languages and fields, with text (empty ones are dropped: not translated)."""
    if not isinstance(value, Mapping):
        return {}
    known = {code for code, _name in other_languages()}
    result: dict[str, dict[str, str]] = {}
    for language, texts in value.items():
        if language not in known or not isinstance(texts, Mapping):
            continue
        kept = {
            f: unix_lines(str(texts[f]).strip()) for f in fields if isinstance(texts.get(f), str) and texts[f].strip()
        }
        if kept:
            result[language] = kept
    return result
