"""Subscriptions by e-mail: double opt-in, one-click unsubscribe, immediate or weekly.

Only what double opt-in needs is stored: the address, the choices, a random nonce
and two dates. Unconfirmed requests are deleted after
``TIPLINE_SUBSCRIPTION_CONFIRM_HOURS``. Tokens in links are HMACs of a row's id and
nonce under the secret key, so the database holds none of them.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import override

from tipline.limits import services as limits
from tipline.publishing import background, languages
from tipline.publishing.exceptions import InvalidToken, TooManyRequests
from tipline.publishing.mail import send_message, site_url
from tipline.publishing.models import Article, Category, Frequency, Subscription, SubscriptionRequest
from tipline.publishing.models.content import ArticleQuerySet

_TOKEN = re.compile(r"(\d{1,18})-([0-9a-f]{40})")
# A new confirmation e-mail to the same address at most this often: nobody can use
# the form to flood someone else's inbox.
RESEND_INTERVAL = timedelta(minutes=10)


def normalise_email(*, address: str) -> str:
    return address.strip().lower()


def _token(purpose: str, pk: int, nonce: str) -> str:
    mac = salted_hmac(f"tipline.publishing.{purpose}", f"{pk}:{nonce}", algorithm="sha256").hexdigest()[:40]
    return f"{pk}-{mac}"


def confirmation_token(*, request: SubscriptionRequest) -> str:
    return _token("confirm", request.pk, request.nonce)


def unsubscribe_token(*, subscription: Subscription) -> str:
    return _token("unsubscribe", subscription.pk, subscription.nonce)


def _parse(token: str) -> tuple[int, str]:
    match = _TOKEN.fullmatch(token)
    if match is None:
        raise InvalidToken
    return int(match.group(1)), match.group(0)


def confirmation_url(*, request: SubscriptionRequest) -> str:
    return site_url(
        f"{languages.prefix(request.language)}/subscriptions/confirm/{confirmation_token(request=request)}/"
    )


def unsubscribe_url(*, subscription: Subscription) -> str:
    token = unsubscribe_token(subscription=subscription)
    return site_url(f"{languages.prefix(subscription.language)}/subscriptions/unsubscribe/{token}/")


def _throttle(client_tag: str) -> None:
    policy = limits.Policy(
        scope="subscribe",
        per_client=settings.TIPLINE_SUBSCRIBE_ATTEMPTS,
        overflow=settings.TIPLINE_SUBSCRIBE_OVERFLOW,
        window=3600,
    )
    if limits.admit(policy, client_tag=client_tag) is None:
        raise TooManyRequests


def expiry_cutoff(*, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(hours=settings.TIPLINE_SUBSCRIPTION_CONFIRM_HOURS)


@transaction.atomic
def request_subscription(
    *, email: str, language: str, frequency: str, categories: list[Category], client_tag: str
) -> None:
    """Ask the address's owner to confirm. The outcome looks the same whether or not the
    address is already subscribed, so the form reveals nothing about anyone."""
    _throttle(client_tag)
    email = normalise_email(address=email)
    now = timezone.now()
    recent = SubscriptionRequest.objects.filter(email=email, created_at__gt=now - RESEND_INTERVAL).exists()
    if recent:
        return
    SubscriptionRequest.objects.filter(email=email).delete()
    request = SubscriptionRequest.objects.create(
        email=email, language=language, frequency=frequency, nonce=secrets.token_urlsafe(24), created_at=now
    )
    request.categories.set(categories)
    background.queue_confirmation(request_id=request.pk)


def find_request(*, token: str) -> SubscriptionRequest:
    pk, presented = _parse(token)
    request = SubscriptionRequest.objects.filter(pk=pk, created_at__gt=expiry_cutoff()).first()
    if request is None or not constant_time_compare(presented, confirmation_token(request=request)):
        raise InvalidToken
    return request


@transaction.atomic
def confirm_subscription(*, token: str) -> Subscription:
    """Turn a request into a subscription (or update the address's existing one)."""
    request = find_request(token=token)
    now = timezone.now()
    subscription, created = Subscription.objects.get_or_create(
        email=request.email,
        defaults={
            "language": request.language,
            "frequency": request.frequency,
            "nonce": secrets.token_urlsafe(24),
            "confirmed_at": now,
            "last_digest_at": now,
        },
    )
    if not created:
        subscription.language = request.language
        subscription.frequency = request.frequency
        subscription.confirmed_at = now
        subscription.save(update_fields=["language", "frequency", "confirmed_at"])
    subscription.categories.set(request.categories.all())
    request.delete()
    return subscription


def find_subscription(*, token: str) -> Subscription:
    pk, presented = _parse(token)
    subscription = Subscription.objects.filter(pk=pk).first()
    if subscription is None or not constant_time_compare(presented, unsubscribe_token(subscription=subscription)):
        raise InvalidToken
    return subscription


@transaction.atomic
def unsubscribe(*, token: str) -> None:
    """Delete the subscription, and with it the address."""
    find_subscription(token=token).delete()


def purge_unconfirmed(*, now: datetime | None = None) -> int:
    deleted, _ = SubscriptionRequest.objects.filter(created_at__lte=expiry_cutoff(now=now)).delete()
    return deleted


# ---------------------------------------------------------------- sending


def send_confirmation(*, request_id: int, message_key: str) -> bool:
    request = SubscriptionRequest.objects.filter(pk=request_id, created_at__gt=expiry_cutoff()).first()
    if request is None:
        return False
    categories = [category.name_in(request.language) for category in request.categories.all()]
    with override(request.language):
        subject = _("Confirm your subscription")
    send_message(
        to=request.email,
        language=request.language,
        subject=subject,
        template="confirm",
        context={
            "confirm_url": confirmation_url(request=request),
            "categories": categories,
            "frequency": Frequency(request.frequency).label,
            "hours": settings.TIPLINE_SUBSCRIPTION_CONFIRM_HOURS,
        },
        message_key=message_key,
    )
    return True


def subscribers_for(*, article: Article) -> list[int]:
    """Ids of immediate subscriptions that want ``article``."""
    wanted = Q(categories__isnull=True) | Q(categories=article.category)
    return list(
        Subscription.objects.filter(wanted, frequency=Frequency.IMMEDIATE, language=article.language)
        .values_list("pk", flat=True)
        .distinct()
    )


def notify_subscribers(*, article_id: int) -> int:
    """Queue one e-mail per immediate subscriber of a published article."""
    article = Article.objects.public().filter(pk=article_id).first()
    if article is None:
        return 0
    ids = subscribers_for(article=article)
    with transaction.atomic():
        for pk in ids:
            background.queue_article_mail(article_id=article.pk, subscription_id=pk)
    return len(ids)


def send_article(*, article_id: int, subscription_id: int, message_key: str) -> bool:
    article = Article.objects.public().select_related("category").filter(pk=article_id).first()
    subscription = Subscription.objects.filter(pk=subscription_id).first()
    if article is None or subscription is None:
        return False
    send_message(
        to=subscription.email,
        language=subscription.language,
        subject=article.title,
        template="article",
        context={
            "article": article,
            "article_url": site_url(article.get_absolute_url()),
            "category": article.category.name_in(subscription.language),
            "unsubscribe_url": unsubscribe_url(subscription=subscription),
        },
        message_key=message_key,
        unsubscribe_url=unsubscribe_url(subscription=subscription),
    )
    return True


def week_label(*, now: datetime) -> str:
    year, week, _ = timezone.localtime(now).isocalendar()
    return f"{year}-W{week:02d}"


def queue_weekly_digests(*, now: datetime | None = None) -> int:
    """On the digest day, queue one digest per weekly subscriber."""
    now = now or timezone.now()
    if timezone.localtime(now).weekday() != settings.TIPLINE_DIGEST_WEEKDAY:
        return 0
    ids = list(Subscription.objects.filter(frequency=Frequency.WEEKLY).values_list("pk", flat=True))
    with transaction.atomic():
        for pk in ids:
            background.queue_digest(subscription_id=pk, week=week_label(now=now))
    return len(ids)


def digest_articles(*, subscription: Subscription, since: datetime) -> ArticleQuerySet:
    articles = Article.objects.public().filter(language=subscription.language, published_at__gt=since)
    chosen = list(subscription.categories.all())
    if chosen:
        articles = articles.filter(category__in=chosen)
    return articles.select_related("category").order_by("published_at", "id")


def send_digest(*, subscription_id: int, message_key: str, now: datetime | None = None) -> bool:
    """Send the articles published since the last digest; nothing is sent for an empty week."""
    now = now or timezone.now()
    subscription = Subscription.objects.filter(pk=subscription_id).first()
    if subscription is None:
        return False
    since = subscription.last_digest_at or subscription.confirmed_at
    articles = list(digest_articles(subscription=subscription, since=since)[:50])
    if articles:
        with override(subscription.language):
            subject = _("This week's articles")
        send_message(
            to=subscription.email,
            language=subscription.language,
            subject=subject,
            template="digest",
            context={
                "articles": [(article, site_url(article.get_absolute_url())) for article in articles],
                "unsubscribe_url": unsubscribe_url(subscription=subscription),
            },
            message_key=message_key,
            unsubscribe_url=unsubscribe_url(subscription=subscription),
        )
    Subscription.objects.filter(pk=subscription.pk).update(last_digest_at=now)
    return bool(articles)
