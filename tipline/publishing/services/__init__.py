"""Services of the official channel: every write goes through one of these functions."""

from __future__ import annotations

from tipline.publishing.services.editorial import (
    ArticleContent,
    archive_article,
    check_can_publish,
    create_article,
    parse_tags,
    publish_article,
    publish_due_articles,
    publish_if_due,
    require_editor,
    restore_article,
    return_to_draft,
    schedule_article,
    submit_for_review,
    update_article,
    writers_of,
)
from tipline.publishing.services.media import ProfileWords, update_profile, upload_image
from tipline.publishing.services.subscriptions import (
    confirm_subscription,
    find_request,
    find_subscription,
    purge_unconfirmed,
    request_subscription,
    unsubscribe,
)

__all__ = [
    "ArticleContent",
    "ProfileWords",
    "archive_article",
    "check_can_publish",
    "confirm_subscription",
    "create_article",
    "find_request",
    "find_subscription",
    "parse_tags",
    "publish_article",
    "publish_due_articles",
    "publish_if_due",
    "purge_unconfirmed",
    "request_subscription",
    "require_editor",
    "restore_article",
    "return_to_draft",
    "schedule_article",
    "submit_for_review",
    "unsubscribe",
    "update_article",
    "update_profile",
    "upload_image",
    "writers_of",
]
