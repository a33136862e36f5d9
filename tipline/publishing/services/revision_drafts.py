"""New revisions of published articles: drafted and reviewed while the published text stays up.

An editor starts a revision from the published words (title, summary, text, typical-case
fields), changes it, and sends it for review. Another editor approves it, and only then do
the new words replace the published ones (as the article's next revision, written by the
revision's editor, with who approved it); returning it sends it back to its writer, and
rejecting it (or its writer discarding it) leaves the published article as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tipline.accounts.models import StaffUser
from tipline.audit import services as audit
from tipline.publishing.caching import bump_public_version
from tipline.publishing.exceptions import (
    ArticleChangedMeanwhile,
    InvalidMarkdown,
    MissingCaseFields,
    NotTheRevisionWriter,
    OwnRevisionReview,
    RevisionDraftOpen,
    WrongState,
)
from tipline.publishing.models import Article, ArticleState, RevisionDraft, RevisionDraftState
from tipline.publishing.models.content import CASE_FIELDS
from tipline.publishing.models.revision_drafts import OPEN_STATES
from tipline.publishing.rendering import render_markdown
from tipline.publishing.services.editorial import (
    ArticleContent,
    _add_revision,
    _index,
    _render_into,
    latest_revision_number,
    require_editor,
)


@dataclass
class RevisionWords:
    """What a revision may change: the words of the article, and a note on why."""

    title: str
    summary: str
    body: str
    case_fields: dict[str, str] = field(default_factory=dict)
    note: str = ""


def open_revision_draft(*, article: Article) -> RevisionDraft | None:
    return article.revision_drafts.filter(state__in=OPEN_STATES).select_related("author").first()


@transaction.atomic
def start_revision(*, article: Article, by: StaffUser) -> RevisionDraft:
    """A new revision of a published article, starting from its published words."""
    require_editor(user=by)
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.state != ArticleState.PUBLISHED:
        raise WrongState(article.get_state_display(), _("revised"))
    if open_revision_draft(article=article) is not None:
        raise RevisionDraftOpen
    draft = RevisionDraft.objects.create(
        article=article,
        author=by,
        base_revision=latest_revision_number(article=article),
        title=article.title,
        summary=article.summary,
        body=article.body,
        case_fields=dict(article.case_fields),
    )
    audit.record(action="publishing.revision_started", actor=by, detail={"article": article.pk, "draft": draft.pk})
    return draft


def _check_words(article: Article, words: RevisionWords) -> dict[str, str]:
    """Render every Markdown field as publishing would; raise with all problems found."""
    problems = list(render_markdown(words.body).problems)
    case_fields = {key: words.case_fields.get(key, "").strip() for key, _label in CASE_FIELDS}
    if article.category.is_case_category:
        missing = [str(label) for key, label in CASE_FIELDS if not case_fields[key]]
        if missing:
            raise MissingCaseFields(missing)
    for text in case_fields.values():
        if text:
            problems.extend(render_markdown(text).problems)
    if problems:
        raise InvalidMarkdown(sorted(set(problems), key=problems.index))
    return {key: text for key, text in case_fields.items() if text}


def _locked(draft: RevisionDraft, *allowed: str, action: str) -> RevisionDraft:
    fresh = RevisionDraft.objects.select_for_update().select_related("article").get(pk=draft.pk)
    if fresh.state not in allowed:
        raise WrongState(fresh.get_state_display(), action)
    return fresh


def _by_writer(draft: RevisionDraft, by: StaffUser) -> None:
    require_editor(user=by)
    if by.pk != draft.author_id:
        raise NotTheRevisionWriter


def _by_reviewer(draft: RevisionDraft, by: StaffUser) -> None:
    require_editor(user=by)
    if by.pk == draft.author_id:
        raise OwnRevisionReview


@transaction.atomic
def update_revision(*, draft: RevisionDraft, by: StaffUser, words: RevisionWords) -> RevisionDraft:
    """Change the words of a revision in draft (its writer only); nothing is published."""
    draft = _locked(draft, RevisionDraftState.DRAFT, action=_("edited"))
    _by_writer(draft, by)
    draft.case_fields = _check_words(draft.article, words)
    draft.title = words.title.strip()
    draft.summary = words.summary.strip()
    draft.body = words.body
    draft.note = words.note.strip()[:200]
    draft.save()
    return draft


@transaction.atomic
def submit_revision(*, draft: RevisionDraft, by: StaffUser) -> RevisionDraft:
    draft = _locked(draft, RevisionDraftState.DRAFT, action=_("sent for review"))
    _by_writer(draft, by)
    draft.state = RevisionDraftState.IN_REVIEW
    draft.submitted_at = timezone.now()
    draft.review_note = ""
    draft.save(update_fields=["state", "submitted_at", "review_note", "updated_at"])
    audit.record(
        action="publishing.revision_submitted", actor=by, detail={"article": draft.article_id, "draft": draft.pk}
    )
    return draft


@transaction.atomic
def discard_revision(*, draft: RevisionDraft, by: StaffUser) -> RevisionDraft:
    """Its writer drops a revision in draft; the published article stays as it is."""
    draft = _locked(draft, RevisionDraftState.DRAFT, action=_("discarded"))
    _by_writer(draft, by)
    draft.state = RevisionDraftState.DISCARDED
    draft.save(update_fields=["state", "updated_at"])
    audit.record(
        action="publishing.revision_discarded", actor=by, detail={"article": draft.article_id, "draft": draft.pk}
    )
    return draft


@transaction.atomic
def return_revision(*, draft: RevisionDraft, by: StaffUser, note: str = "") -> RevisionDraft:
    """A reviewer sends a revision back to its writer, with a note."""
    draft = _locked(draft, RevisionDraftState.IN_REVIEW, action=_("sent back"))
    _by_reviewer(draft, by)
    draft.state = RevisionDraftState.DRAFT
    draft.review_note = note.strip()[:2000]
    draft.save(update_fields=["state", "review_note", "updated_at"])
    audit.record(
        action="publishing.revision_returned", actor=by, detail={"article": draft.article_id, "draft": draft.pk}
    )
    return draft


@transaction.atomic
def reject_revision(*, draft: RevisionDraft, by: StaffUser, note: str = "") -> RevisionDraft:
    """A reviewer turns a revision down for good; the published article is untouched."""
    draft = _locked(draft, RevisionDraftState.IN_REVIEW, action=_("rejected"))
    _by_reviewer(draft, by)
    draft.state = RevisionDraftState.REJECTED
    draft.review_note = note.strip()[:2000]
    draft.decided_by = by
    draft.decided_at = timezone.now()
    draft.save(update_fields=["state", "review_note", "decided_by", "decided_at", "updated_at"])
    audit.record(
        action="publishing.revision_rejected", actor=by, detail={"article": draft.article_id, "draft": draft.pk}
    )
    return draft


@transaction.atomic
def approve_revision(*, draft: RevisionDraft, by: StaffUser) -> RevisionDraft:
    """A second editor approves: the new words replace the published ones at once, as the
    article's next revision (by the revision's writer, the note naming who approved)."""
    draft = _locked(draft, RevisionDraftState.IN_REVIEW, action=_("approved"))
    _by_reviewer(draft, by)
    article = Article.objects.select_for_update().select_related("category").get(pk=draft.article_id)
    if article.state != ArticleState.PUBLISHED:
        raise WrongState(article.get_state_display(), _("revised"))
    if latest_revision_number(article=article) != draft.base_revision:
        raise ArticleChangedMeanwhile
    tags = list(article.tags.values_list("name", flat=True))
    content = ArticleContent(
        title=draft.title,
        summary=draft.summary,
        body=draft.body,
        language=article.language,
        category=article.category,
        tags=tags,
        case_fields=dict(draft.case_fields),
        cover=article.cover,
        cover_alt=article.cover_alt,
        featured=article.featured,
        translation_of=article.translation_of,
    )
    _render_into(article, content)
    _index(article, tags)
    article.save()
    note = _("%(note)s (approved by %(who)s)") % {
        "note": draft.note or _("New revision of the published article"),
        "who": by.get_username(),
    }
    revision = _add_revision(article, draft.author, note)
    revision.approved_by = by
    revision.save(update_fields=["approved_by"])
    draft.state = RevisionDraftState.APPROVED
    draft.decided_by = by
    draft.decided_at = timezone.now()
    draft.revision_number = revision.number
    draft.save(update_fields=["state", "decided_by", "decided_at", "revision_number", "updated_at"])
    bump_public_version()
    audit.record(
        action="publishing.revision_approved",
        actor=by,
        detail={"article": article.pk, "draft": draft.pk, "revision": revision.number, "writer": draft.author_id},
    )
    return draft
