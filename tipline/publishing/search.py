"""Full-text search that works the same on SQLite and PostgreSQL, in English and Chinese.

Chinese has no spaces between words, so text is cut into words with jieba and stored,
lower-cased, in ``Article.search_text`` with a space around every word. A query is cut
the same way; every word must match: a Latin word as a word prefix (`` report`` finds
"reports"), a Chinese word anywhere. Matching is plain ``LIKE`` with escaped parameters,
so no input (SQL, full-text operators, 10 kB of junk) can break or slow the query.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
import warnings
from typing import Any

from django.conf import settings
from django.db.models import Case, IntegerField, Q, Value, When

from tipline.publishing.models.content import ArticleQuerySet

_WORD = re.compile(r"\w+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002ffff]")
_lock = threading.Lock()
_ready = False


def _segmenter() -> Any:
    """jieba's tokenizer, loaded on first use: its dictionary takes a second to load."""
    global _ready  # noqa: PLW0603 - one-time, lock-protected initialisation
    with warnings.catch_warnings():  # jieba 0.42 has invalid escapes in its regexes
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", SyntaxWarning)
        import jieba  # noqa: PLC0415 - deferred: most processes never cut Chinese text

    with _lock:
        if not _ready:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _ready = True
    return jieba.dt


def words(text: str, *, for_index: bool = False) -> list[str]:
    """Lower-cased words of ``text``; runs of Chinese characters cut by jieba."""
    found: list[str] = []
    for run in _WORD.findall(unicodedata.normalize("NFKC", text).casefold()):
        if _CJK.search(run):
            cut = _segmenter().cut_for_search(run) if for_index else _segmenter().cut(run)
            found.extend(piece for piece in (p.strip() for p in cut) if piece and _WORD.fullmatch(piece))
        else:
            found.append(run)
    return found


def index_text(*parts: str) -> str:
    """The stored search text of an article: every word, space-delimited."""
    return " " + " ".join(words(" ".join(parts), for_index=True)) + " "


def query_words(query: str) -> list[str]:
    """The words of a reader's query, bounded in length and number, without repeats."""
    limited = query[: settings.TIPLINE_SEARCH_MAX_CHARS]
    unique: list[str] = []
    for word in words(limited):
        bounded = word[:50]
        if bounded not in unique:
            unique.append(bounded)
    return unique[: settings.TIPLINE_SEARCH_MAX_WORDS]


def search(articles: ArticleQuerySet, query: str) -> ArticleQuerySet:
    """Articles matching every word of ``query``, title matches first, newest first."""
    terms = query_words(query)
    if not terms:
        return articles.none()
    condition = Q()
    in_title = Q()
    for term in terms:
        needle = term if _CJK.search(term) else f" {term}"
        condition &= Q(search_text__contains=needle)
        in_title |= Q(title__icontains=term)
    return (
        articles.filter(condition)
        .annotate(title_hit=Case(When(in_title, then=Value(1)), default=Value(0), output_field=IntegerField()))
        .order_by("-title_hit", "-published_at", "-id")
    )
