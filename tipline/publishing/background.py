"""The one place publishing hands work to the job runner (``tipline.jobs``)."""

from __future__ import annotations

from datetime import datetime

from tipline.jobs.services import enqueue

SEND_CONFIRMATION = "publishing.send_confirmation"
PUBLISH_SCHEDULED = "publishing.publish_scheduled"
NOTIFY_SUBSCRIBERS = "publishing.notify_subscribers"
SEND_ARTICLE = "publishing.send_article"
SEND_DIGEST = "publishing.send_digest"


def queue_confirmation(*, request_id: int) -> None:
    enqueue(kind=SEND_CONFIRMATION, payload={"request_id": request_id})


def queue_publication(*, article_id: int, at: datetime) -> None:
    """Publish a scheduled article at ``at``; a periodic sweep catches any job that goes astray."""
    enqueue(
        kind=PUBLISH_SCHEDULED,
        payload={"article_id": article_id},
        run_at=at,
        dedupe_key=f"{PUBLISH_SCHEDULED}:{article_id}:{int(at.timestamp())}",
    )


def queue_notifications(*, article_id: int) -> None:
    enqueue(
        kind=NOTIFY_SUBSCRIBERS, payload={"article_id": article_id}, dedupe_key=f"{NOTIFY_SUBSCRIBERS}:{article_id}"
    )


def queue_article_mail(*, article_id: int, subscription_id: int) -> None:
    enqueue(
        kind=SEND_ARTICLE,
        payload={"article_id": article_id, "subscription_id": subscription_id},
        dedupe_key=f"{SEND_ARTICLE}:{article_id}:{subscription_id}",
    )


def queue_digest(*, subscription_id: int, week: str) -> None:
    enqueue(
        kind=SEND_DIGEST,
        payload={"subscription_id": subscription_id, "week": week},
        dedupe_key=f"{SEND_DIGEST}:{subscription_id}:{week}",
    )
