"""A new revision of a published article, drafted and reviewed while the published text stays up."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tipline.publishing.models.content import Article


class RevisionDraftState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved and published")
    REJECTED = "rejected", _("Rejected")
    DISCARDED = "discarded", _("Discarded")


OPEN_STATES = (RevisionDraftState.DRAFT, RevisionDraftState.IN_REVIEW)


class RevisionDraft(models.Model):
    """Changes to the words of a published article (title, summary, text, typical-case
    fields). The published article is untouched until a second editor approves them; then
    they become the article's next revision, and this record keeps who wrote and who
    approved it. One open draft per article, written by its author only."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revision_drafts")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=20, choices=RevisionDraftState.choices, default=RevisionDraftState.DRAFT)
    # The article's revision it was started from: approving it over a newer one is refused.
    base_revision = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), max_length=600)
    body = models.TextField(_("text"))
    case_fields = models.JSONField(default=dict, blank=True)
    note = models.CharField(_("what changed and why"), max_length=200, blank=True)
    review_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # The number of the article's revision it became, once approved.
    revision_number = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["article"], condition=Q(state__in=["draft", "in_review"]), name="one_open_revision_draft"
            ),
            # Four eyes, in the database too: nobody approves their own revision.
            models.CheckConstraint(
                condition=~Q(state="approved") | (Q(decided_by__isnull=False) & ~Q(decided_by=F("author"))),
                name="revision_draft_approved_by_another",
            ),
        ]

    def __str__(self) -> str:
        return f"revision draft {self.pk} of {self.article_id}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES
