"""Models of the official channel: the profile, articles and subscriptions."""

from __future__ import annotations

from tipline.publishing.models.content import (
    Article,
    ArticleRevision,
    ArticleState,
    Category,
    CategoryText,
    Image,
    Tag,
)
from tipline.publishing.models.official import OfficialProfile, ProfileText, PublicState
from tipline.publishing.models.revision_drafts import RevisionDraft, RevisionDraftState
from tipline.publishing.models.subscriptions import Frequency, Subscription, SubscriptionRequest

__all__ = [
    "Article",
    "ArticleRevision",
    "ArticleState",
    "Category",
    "CategoryText",
    "Frequency",
    "Image",
    "OfficialProfile",
    "ProfileText",
    "PublicState",
    "RevisionDraft",
    "RevisionDraftState",
    "Subscription",
    "SubscriptionRequest",
    "Tag",
]
