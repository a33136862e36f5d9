"""Background work of the official channel, run by ``tipline worker``."""

from __future__ import annotations

from datetime import time, timedelta

from django.conf import settings

from tipline.jobs.models import Job
from tipline.jobs.registry import job_handler, periodic
from tipline.jobs.services import once
from tipline.publishing import background
from tipline.publishing.services import editorial, subscriptions


def _id(job: Job, key: str) -> int:
    return int(str(job.payload[key]))


@job_handler(background.SEND_CONFIRMATION)
def send_confirmation(job: Job) -> None:
    with once(key=job.effect_key("mail")) as first:
        if first:
            subscriptions.send_confirmation(request_id=_id(job, "request_id"), message_key=job.idempotency_key)


@job_handler(background.PUBLISH_SCHEDULED)
def publish_scheduled(job: Job) -> None:
    editorial.publish_if_due(article_id=_id(job, "article_id"))


@job_handler(background.NOTIFY_SUBSCRIBERS, atomic=True)
def notify_subscribers(job: Job) -> None:
    subscriptions.notify_subscribers(article_id=_id(job, "article_id"))


@job_handler(background.SEND_ARTICLE)
def send_article(job: Job) -> None:
    article_id, subscription_id = _id(job, "article_id"), _id(job, "subscription_id")
    # Keyed by article and subscriber, not by job: an article is never mailed twice to anyone.
    with once(key=f"publishing.article:{article_id}:{subscription_id}") as first:
        if first:
            subscriptions.send_article(
                article_id=article_id, subscription_id=subscription_id, message_key=job.idempotency_key
            )


@job_handler(background.SEND_DIGEST)
def send_digest(job: Job) -> None:
    subscription_id = _id(job, "subscription_id")
    with once(key=f"publishing.digest:{subscription_id}:{job.payload['week']}") as first:
        if first:
            subscriptions.send_digest(subscription_id=subscription_id, message_key=job.idempotency_key)


@periodic("publishing.publish_due", every=timedelta(minutes=1))
def publish_due(job: Job) -> None:
    """A safety net: scheduled articles whose own job went astray still go live."""
    editorial.publish_due_articles()


@periodic("publishing.purge_unconfirmed", every=timedelta(hours=1))
def purge_unconfirmed(job: Job) -> None:
    subscriptions.purge_unconfirmed()


@periodic(
    "publishing.weekly_digest",
    daily_at=time(settings.TIPLINE_DIGEST_HOUR, 0),
    tz=settings.TIME_ZONE,
)
def weekly_digest(job: Job) -> None:
    subscriptions.queue_weekly_digests()
