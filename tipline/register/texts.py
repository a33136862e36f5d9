"""A questionnaire version's questions in the reader's language.

A version's schema keeps each question's texts in the default language (``label``,
``help``, ``choices``) and, when it has any, in the other languages under
``translations``. Answers are stored by key, and a choice by its default-language text,
so what is stored never depends on the language the form was read in; only what is shown
is translated here.
"""

from __future__ import annotations

from typing import Any

from tipline.local_text import LocalText, default_language, pick, site_language


def localize_question(question: dict[str, Any], language: str | None = None) -> dict[str, Any]:
    """A copy of ``question`` whose ``label`` and ``help`` are in ``language`` (or marked
    fallbacks) and with ``choice_labels``: the label of each choice, in order."""
    wanted = site_language(language)
    translations = question.get("translations") or {}
    localized = dict(question)
    localized["label"] = pick(str(question.get("label", "")), translations, "label", wanted)
    localized["help"] = pick(str(question.get("help", "")), translations, "help", wanted)
    choices = [str(choice) for choice in question.get("choices", [])]
    translated = (translations.get(wanted) or {}).get("choices") or []
    if wanted == default_language() or len(translated) != len(choices):
        translated = []
    localized["choice_labels"] = [
        LocalText(translated[i]) if translated and str(translated[i]).strip() else _default(choice, wanted)
        for i, choice in enumerate(choices)
    ]
    return localized


def _default(text: str, wanted: str) -> LocalText:
    return LocalText(text) if wanted == default_language() else LocalText(text, lang=default_language())


def localize_schema(schema: list[dict[str, Any]], language: str | None = None) -> list[dict[str, Any]]:
    return [localize_question(question, language) for question in schema]


def has_fallback(schema: list[dict[str, Any]]) -> bool:
    """Whether any text of a localized schema is shown in the default language instead."""
    return any(
        getattr(q["label"], "is_fallback", False)
        or getattr(q["help"], "is_fallback", False)
        or any(getattr(label, "is_fallback", False) for label in q.get("choice_labels", []))
        for q in schema
    )


def shown_answer(question: dict[str, Any], value: Any) -> Any:
    """An answer as a localized question shows it: a choice by its label in that language
    (an answer no longer among the choices as it was given)."""
    labels = dict(zip(question.get("choices", []), question.get("choice_labels", []), strict=False))
    if question.get("type") == "single_choice" and isinstance(value, str):
        return labels.get(value, value)
    if question.get("type") == "multiple_choice" and isinstance(value, list):
        return [labels.get(item, item) if isinstance(item, str) else item for item in value]
    return value
