"""Writing, reviewing and publishing articles.

The text of an article changes only while it is a draft, and every saved change (to
the words or to anything else: tags, address, category, cover, language, translation
link, featuring) is kept as a revision by its editor. Publishing (now or at a set time)
takes a second editor: nobody who made any revision of an article may publish it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_stubs_ext import StrOrPromise

from tipline.accounts.models import Role, StaffUser
from tipline.audit import services as audit
from tipline.publishing import background
from tipline.publishing.caching import bump_public_version
from tipline.publishing.exceptions import (
    EditConflict,
    InvalidMarkdown,
    MissingCaseFields,
    NotAnEditor,
    ScheduleInPast,
    SelfReviewForbidden,
    SlugTaken,
    WrongState,
)
from tipline.publishing.models import Article, ArticleRevision, ArticleState, Category, Image, Tag
from tipline.publishing.models.content import CASE_FIELDS
from tipline.publishing.rendering import plain_text, render_markdown
from tipline.publishing.search import index_text

MAX_TAGS = 10
_TAG_SPLIT = re.compile(r"[,，、;；\n]+")  # noqa: RUF001 - Chinese separators too


@dataclass
class ArticleContent:
    """What an editor writes. ``tags`` are names; ``slug`` may be left empty."""

    title: str
    summary: str
    body: str
    language: str
    category: Category
    tags: list[str] = field(default_factory=list)
    case_fields: dict[str, str] = field(default_factory=dict)
    cover: Image | None = None
    cover_alt: str = ""
    featured: bool = False
    slug: str = ""
    translation_of: Article | None = None


def require_editor(*, user: StaffUser) -> None:
    if not user.is_active or not user.has_role(Role.EDITOR):
        raise NotAnEditor


def parse_tags(*, text: str) -> list[str]:
    """Tag names from a comma-separated line (Chinese commas too), trimmed, without repeats."""
    names: list[str] = []
    for raw in _TAG_SPLIT.split(text):
        name = " ".join(raw.split())[:60]
        if name and name.casefold() not in {n.casefold() for n in names}:
            names.append(name)
    return names[:MAX_TAGS]


def _tags(names: list[str]) -> list[Tag]:
    tags = []
    for name in names[:MAX_TAGS]:
        tag = Tag.objects.filter(name__iexact=name).first()
        if tag is None:
            base = slugify(name, allow_unicode=True)[:70] or "tag"
            slug, n = base, 1
            while Tag.objects.filter(slug=slug).exists():
                n += 1
                slug = f"{base}-{n}"
            tag = Tag.objects.create(name=name, slug=slug)
        tags.append(tag)
    return tags


def _slug_for(content: ArticleContent, article: Article | None) -> str:
    others = Article.objects.exclude(pk=article.pk) if article is not None else Article.objects.all()
    if content.slug:
        slug = slugify(content.slug, allow_unicode=True)[:120]
        if not slug or others.filter(slug=slug).exists():
            raise SlugTaken
        return slug
    if article is not None:
        return article.slug
    base = slugify(content.title, allow_unicode=True)[:100].strip("-") or "article"
    slug, n = base, 1
    while others.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _render_into(article: Article, content: ArticleContent) -> None:
    """Render and check every Markdown field; raise with all problems found."""
    body = render_markdown(content.body)
    problems = list(body.problems)
    case_fields = {key: content.case_fields.get(key, "").strip() for key, _label in CASE_FIELDS}
    if content.category.is_case_category:
        missing = [str(label) for key, label in CASE_FIELDS if not case_fields[key]]
        if missing:
            raise MissingCaseFields(missing)
    case_html: dict[str, str] = {}
    for key, text in case_fields.items():
        if text:
            rendered = render_markdown(text)
            problems.extend(rendered.problems)
            case_html[key] = rendered.html
    if problems:
        raise InvalidMarkdown(sorted(set(problems), key=problems.index))
    article.title = content.title.strip()
    article.summary = content.summary.strip()
    article.body = content.body
    article.body_html = body.html
    article.case_fields = {key: text for key, text in case_fields.items() if text}
    article.case_html = case_html
    article.language = content.language
    article.category = content.category
    article.cover = content.cover
    article.cover_alt = " ".join(content.cover_alt.split())[:300]
    article.featured = content.featured
    article.translation_of = content.translation_of if content.translation_of != article else None


# What a save can change, in the words of the revision note.
_SAVED_FIELDS: tuple[tuple[str, StrOrPromise], ...] = (
    ("title", gettext_lazy("title")),
    ("summary", gettext_lazy("summary")),
    ("body", gettext_lazy("text")),
    ("case_fields", gettext_lazy("typical-case fields")),
    ("slug", gettext_lazy("address name")),
    ("language", gettext_lazy("language")),
    ("category_id", gettext_lazy("category")),
    ("tags", gettext_lazy("tags")),
    ("cover_id", gettext_lazy("cover image")),
    ("cover_alt", gettext_lazy("text alternative of the cover")),
    ("featured", gettext_lazy("featured")),
    ("translation_of_id", gettext_lazy("translation link")),
)


def _saved_state(article: Article) -> dict[str, object]:
    """Everything an editor's save can change, to tell whether a save changed anything."""
    state: dict[str, object] = {key: getattr(article, key) for key, _label in _SAVED_FIELDS if key != "tags"}
    state["tags"] = sorted(article.tags.values_list("pk", flat=True))
    return state


def _changed_labels(before: dict[str, object], after: dict[str, object]) -> list[str]:
    return [str(label) for key, label in _SAVED_FIELDS if before[key] != after[key]]


def _index(article: Article, tag_names: list[str]) -> None:
    article.search_text = index_text(
        article.title,
        article.summary,
        plain_text(article.body_html),
        *(plain_text(html) for html in article.case_html.values()),
        *tag_names,
    )


def _add_revision(article: Article, editor: StaffUser, note: str) -> ArticleRevision:
    last = article.revisions.order_by("-number").first()
    return ArticleRevision.objects.create(
        article=article,
        number=(last.number + 1) if last else 1,
        editor=editor,
        title=article.title,
        summary=article.summary,
        body=article.body,
        case_fields=article.case_fields,
        note=note[:200],
    )


def _save_with_slug(article: Article) -> None:
    try:
        with transaction.atomic():
            article.save()
    except IntegrityError:
        if Article.objects.filter(slug=article.slug).exclude(pk=article.pk).exists():
            raise SlugTaken from None
        raise


@transaction.atomic
def create_article(*, author: StaffUser, content: ArticleContent) -> Article:
    """Start a draft (revision 1)."""
    require_editor(user=author)
    article = Article(author=author, state=ArticleState.DRAFT)
    _render_into(article, content)
    article.slug = _slug_for(content, None)
    _index(article, content.tags)
    _save_with_slug(article)
    article.tags.set(_tags(content.tags))
    _add_revision(article, author, _("Created"))
    return article


def latest_revision_number(*, article: Article) -> int:
    last = article.revisions.order_by("-number").values_list("number", flat=True).first()
    return last or 0


@transaction.atomic
def update_article(
    *, article: Article, editor: StaffUser, content: ArticleContent, base_revision: int, note: str = ""
) -> Article:
    """Change a draft. ``base_revision`` is the revision the editor started from: if
    someone saved in between, ``EditConflict`` stops the later save from erasing theirs.

    Any change, to the words or to anything else, is a new revision by ``editor``, so
    they count as a writer and cannot approve what they changed (four eyes); a save that
    changes nothing adds no revision."""
    require_editor(user=editor)
    article = Article.objects.select_for_update().get(pk=article.pk)
    if article.state != ArticleState.DRAFT:
        raise WrongState(article.get_state_display(), _("edited"))
    if latest_revision_number(article=article) != base_revision:
        raise EditConflict
    before = _saved_state(article)
    _render_into(article, content)
    article.slug = _slug_for(content, article)
    _index(article, content.tags)
    _save_with_slug(article)
    article.tags.set(_tags(content.tags))
    changed = _changed_labels(before, _saved_state(article))
    if changed:
        default_note = _("Changed: %(fields)s") % {"fields": ", ".join(changed)}
        _add_revision(article, editor, note or default_note)
    return article


def _locked(article: Article, *allowed: ArticleState, action: str) -> Article:
    fresh = Article.objects.select_for_update().get(pk=article.pk)
    if fresh.state not in allowed:
        raise WrongState(fresh.get_state_display(), action)
    return fresh


def writers_of(*, article: Article) -> set[int]:
    """Everyone who wrote any part of the article."""
    return {article.author_id, *article.revisions.values_list("editor_id", flat=True)}


def check_can_publish(*, article: Article, by: StaffUser) -> None:
    require_editor(user=by)
    if by.pk in writers_of(article=article):
        raise SelfReviewForbidden


@transaction.atomic
def submit_for_review(*, article: Article, by: StaffUser) -> Article:
    require_editor(user=by)
    article = _locked(article, ArticleState.DRAFT, action=_("sent for review"))
    article.state = ArticleState.IN_REVIEW
    article.submitted_at = timezone.now()
    article.review_note = ""
    article.save(update_fields=["state", "submitted_at", "review_note", "updated_at"])
    audit.record(action="publishing.submitted", actor=by, detail={"article": article.pk})
    return article


@transaction.atomic
def return_to_draft(*, article: Article, by: StaffUser, note: str = "") -> Article:
    """Send an article in review (or scheduled) back to its writers, with a note."""
    require_editor(user=by)
    article = _locked(article, ArticleState.IN_REVIEW, ArticleState.SCHEDULED, action=_("sent back"))
    article.state = ArticleState.DRAFT
    article.publisher = None
    article.publish_at = None
    article.review_note = note.strip()[:2000]
    article.save(update_fields=["state", "publisher", "publish_at", "review_note", "updated_at"])
    audit.record(action="publishing.returned", actor=by, detail={"article": article.pk})
    return article


def _go_live(article: Article, now: datetime) -> None:
    article.state = ArticleState.PUBLISHED
    article.published_at = now
    article.publish_at = None
    article.save(update_fields=["state", "published_at", "publish_at", "publisher", "updated_at"])
    bump_public_version()
    background.queue_notifications(article_id=article.pk)


@transaction.atomic
def publish_article(*, article: Article, by: StaffUser) -> Article:
    """Publish now. The reviewer must not have written any part of the article."""
    article = _locked(article, ArticleState.IN_REVIEW, ArticleState.SCHEDULED, action=_("published"))
    check_can_publish(article=article, by=by)
    article.publisher = by
    _go_live(article, timezone.now())
    audit.record(action="publishing.published", actor=by, detail={"article": article.pk})
    return article


@transaction.atomic
def schedule_article(*, article: Article, by: StaffUser, publish_at: datetime) -> Article:
    """Approve an article to go live at ``publish_at``; the job runner publishes it."""
    article = _locked(article, ArticleState.IN_REVIEW, ArticleState.SCHEDULED, action=_("scheduled"))
    check_can_publish(article=article, by=by)
    if publish_at <= timezone.now():
        raise ScheduleInPast
    article.state = ArticleState.SCHEDULED
    article.publisher = by
    article.publish_at = publish_at
    article.save(update_fields=["state", "publisher", "publish_at", "updated_at"])
    background.queue_publication(article_id=article.pk, at=publish_at)
    audit.record(action="publishing.scheduled", actor=by, detail={"article": article.pk, "at": publish_at.isoformat()})
    return article


def publish_if_due(*, article_id: int, now: datetime | None = None) -> bool:
    """Publish one scheduled article whose time has come; False if it is not (any more)."""
    now = now or timezone.now()
    with transaction.atomic():
        article = Article.objects.select_for_update().filter(pk=article_id).first()
        if article is None or article.state != ArticleState.SCHEDULED or article.publish_at is None:
            return False
        if article.publish_at > now:
            return False
        _go_live(article, now)
        audit.record(action="publishing.went_live", detail={"article": article.pk})
    return True


def publish_due_articles(*, now: datetime | None = None) -> int:
    """Publish every scheduled article whose time has come; returns how many went live."""
    now = now or timezone.now()
    due = Article.objects.filter(state=ArticleState.SCHEDULED, publish_at__lte=now).values_list("pk", flat=True)
    return sum(publish_if_due(article_id=pk, now=now) for pk in list(due))


@transaction.atomic
def archive_article(*, article: Article, by: StaffUser) -> Article:
    """Withdraw a published article from the public channel (its address answers 410)."""
    require_editor(user=by)
    article = _locked(article, ArticleState.PUBLISHED, action=_("archived"))
    article.state = ArticleState.ARCHIVED
    article.archived_at = timezone.now()
    article.save(update_fields=["state", "archived_at", "updated_at"])
    bump_public_version()
    audit.record(action="publishing.archived", actor=by, detail={"article": article.pk})
    return article


@transaction.atomic
def restore_article(*, article: Article, by: StaffUser) -> Article:
    """Bring an archived article back as a draft, to correct and publish again."""
    require_editor(user=by)
    article = _locked(article, ArticleState.ARCHIVED, action=_("restored"))
    article.state = ArticleState.DRAFT
    article.publisher = None
    article.archived_at = None
    article.save(update_fields=["state", "publisher", "archived_at", "updated_at"])
    audit.record(action="publishing.restored", actor=by, detail={"article": article.pk})
    return article
