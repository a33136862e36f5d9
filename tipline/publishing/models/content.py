"""Categories, tags, images, articles and their revisions."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from tipline.publishing import languages

# The structured parts of a typical case, in the order a reader meets them.
CASE_FIELDS: tuple[tuple[str, StrOrPromise], ...] = (
    ("what_happened", _("What happened")),
    ("how_noticed", _("How it was noticed")),
    ("what_law_says", _("What the law says")),
    ("how_to_report", _("How to report something similar")),
)


class Category(models.Model):
    """A section of the channel (News, Education, Typical cases, Law explained…)."""

    slug = models.SlugField(_("address name"), max_length=60, unique=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    is_case_category = models.BooleanField(
        _("typical cases"),
        default=False,
        help_text=_("Articles here must fill in the structured fields of a typical case."),
    )

    class Meta:
        ordering = ["order", "slug"]
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name_in(settings.LANGUAGE_CODE)

    def _texts(self) -> dict[str, CategoryText]:
        return {text.language: text for text in self.texts.all()}

    def text_in(self, language: str) -> CategoryText | None:
        texts = self._texts()
        return texts.get(language) or texts.get(settings.LANGUAGE_CODE)

    def name_in(self, language: str) -> str:
        text = self.text_in(language)
        return text.name if text else self.slug

    def description_in(self, language: str) -> str:
        text = self.text_in(language)
        return text.description if text else ""


class CategoryText(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    name = models.CharField(_("name"), max_length=80)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["category", "language"], name="unique_category_language")]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)
    slug = models.SlugField(_("address name"), max_length=80, unique=True, allow_unicode=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Image(models.Model):
    """An uploaded picture after resizing and metadata removal; the original is not kept."""

    digest = models.CharField(max_length=64, unique=True)
    alt_text = models.CharField(_("text alternative"), max_length=300)
    file_name = models.CharField(max_length=100)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    thumb_name = models.CharField(max_length=100)
    thumb_width = models.PositiveIntegerField()
    thumb_height = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("image")
        verbose_name_plural = _("images")

    def __str__(self) -> str:
        return self.alt_text

    @property
    def url(self) -> str:
        return f"/media/publishing/{self.file_name}"

    @property
    def thumb_url(self) -> str:
        return f"/media/publishing/{self.thumb_name}"

    @property
    def markdown(self) -> str:
        """What an editor pastes into an article to show this image."""
        return f"![{self.alt_text}](image:{self.pk})"


class ArticleState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class ArticleQuerySet(models.QuerySet["Article"]):
    def public(self) -> ArticleQuerySet:
        return self.filter(state=ArticleState.PUBLISHED)

    def in_language(self, language: str) -> ArticleQuerySet:
        return self.filter(language=language)

    def for_listing(self) -> ArticleQuerySet:
        return (
            self.select_related("category", "cover")
            .prefetch_related("category__texts", "tags")
            .order_by("-published_at", "-id")
        )


class Article(models.Model):
    """An article. Its text can change only as a draft; every change is a revision."""

    slug = models.SlugField(_("address name"), max_length=120, unique=True, allow_unicode=True)
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="articles")
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles")
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), max_length=600)
    body = models.TextField(_("text"), help_text=_("Markdown."))
    body_html = models.TextField(editable=False, default="")
    case_fields = models.JSONField(default=dict, blank=True)
    case_html = models.JSONField(default=dict, editable=False)
    cover = models.ForeignKey(
        Image, null=True, blank=True, on_delete=models.PROTECT, related_name="covers", verbose_name=_("cover image")
    )
    cover_alt = models.CharField(
        _("text alternative of the cover"),
        max_length=300,
        blank=True,
        help_text=_("What the cover shows, in the article's language. Empty: the image's own text alternative."),
    )
    featured = models.BooleanField(_("featured"), default=False)
    translation_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="translations"
    )
    state = models.CharField(max_length=20, choices=ArticleState.choices, default=ArticleState.DRAFT, db_index=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="articles_written")
    publisher = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="articles_published"
    )
    review_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    publish_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    # Lower-cased text, Chinese split into words, for portable full-text search.
    search_text = models.TextField(editable=False, default="")

    objects: ClassVar[ArticleQuerySet] = ArticleQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [models.Index(fields=["state", "language", "-published_at"], name="article_listing")]
        constraints = [
            models.CheckConstraint(
                condition=Q(publisher__isnull=True) | ~Q(publisher=F("author")),
                name="publisher_is_not_author",
            ),
            models.CheckConstraint(
                condition=~Q(state="published") | Q(published_at__isnull=False, publisher__isnull=False),
                name="published_has_date_and_publisher",
            ),
            models.CheckConstraint(
                condition=~Q(state="scheduled") | Q(publish_at__isnull=False, publisher__isnull=False),
                name="scheduled_has_date_and_publisher",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"{languages.prefix(self.language)}/articles/{self.slug}/"

    @property
    def cover_text(self) -> str:
        return self.cover_alt or (self.cover.alt_text if self.cover else "")

    @property
    def is_public(self) -> bool:
        return self.state == ArticleState.PUBLISHED

    @property
    def is_editable(self) -> bool:
        return self.state == ArticleState.DRAFT

    def case_sections(self) -> list[tuple[str, str]]:
        """(heading, sanitised HTML) of each filled-in typical-case field."""
        return [(str(label), self.case_html[key]) for key, label in CASE_FIELDS if self.case_html.get(key)]

    def translation_group(self) -> list[Article]:
        """This article and its translations, published ones only, one per language."""
        root = self.translation_of or self
        members = [root, *root.translations.all()]
        by_language: dict[str, Article] = {}
        for member in members:
            if member.is_public:
                by_language.setdefault(member.language, member)
        return [by_language[code] for code in languages.public_languages() if code in by_language]


class ArticleRevision(models.Model):
    """A snapshot of an article's words, kept for every saved change."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    editor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    title = models.CharField(max_length=200)
    summary = models.TextField()
    body = models.TextField()
    case_fields = models.JSONField(default=dict)
    note = models.CharField(max_length=200, blank=True)
    # A revision of a published article (RevisionDraft): the editor who approved it.
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="unique_revision_number")]

    def __str__(self) -> str:
        return f"{self.article_id} r{self.number}"
