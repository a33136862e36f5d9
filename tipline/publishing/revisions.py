"""Compare two revisions of an article, line by line, field by field."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.utils.translation import gettext as _

from tipline.publishing.models import ArticleRevision
from tipline.publishing.models.content import CASE_FIELDS


@dataclass(frozen=True)
class Line:
    kind: str  # "same", "added" or "removed"
    text: str


@dataclass(frozen=True)
class FieldDiff:
    label: str
    lines: list[Line]
    changed: bool


def _lines(old: str, new: str) -> list[Line]:
    before, after = old.splitlines() or [""], new.splitlines() or [""]
    result: list[Line] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            result.extend(Line("same", text) for text in before[i1:i2])
            continue
        result.extend(Line("removed", text) for text in before[i1:i2])
        result.extend(Line("added", text) for text in after[j1:j2])
    return result


def compare(old: ArticleRevision, new: ArticleRevision) -> list[FieldDiff]:
    """Every field of the two revisions, with what was removed and added."""
    fields = [
        (_("Title"), old.title, new.title),
        (_("Summary"), old.summary, new.summary),
        (_("Text"), old.body, new.body),
    ]
    fields += [(str(label), old.case_fields.get(key, ""), new.case_fields.get(key, "")) for key, label in CASE_FIELDS]
    diffs = []
    for label, before, after in fields:
        if not before and not after:
            continue
        diffs.append(FieldDiff(label=str(label), lines=_lines(before, after), changed=before != after))
    return diffs
