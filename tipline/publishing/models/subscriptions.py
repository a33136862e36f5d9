"""E-mail subscriptions, with only what double opt-in needs.

No address is kept for a reader, no open or click is tracked. A request holds an
address until it is confirmed or expires; a subscription until it is cancelled.
Confirmation and unsubscribe tokens are HMACs of a row's random nonce: they are
sent, never stored.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tipline.publishing.models.content import Category


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", _("Each new article, when it is published")
    WEEKLY = "weekly", _("A weekly digest")


class SubscriptionRequest(models.Model):
    """A subscription waiting for its address to be confirmed; deleted when it expires."""

    email = models.EmailField(max_length=254, db_index=True)
    language = models.CharField(max_length=10, choices=settings.LANGUAGES)
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    categories = models.ManyToManyField(Category, blank=True, related_name="+")
    nonce = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("subscription waiting for confirmation")
        verbose_name_plural = _("subscriptions waiting for confirmation")

    def __str__(self) -> str:
        return f"subscription request {self.pk}"


class Subscription(models.Model):
    """A confirmed subscription. No categories means every category."""

    email = models.EmailField(max_length=254, unique=True)
    language = models.CharField(max_length=10, choices=settings.LANGUAGES)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, db_index=True)
    categories = models.ManyToManyField(Category, blank=True, related_name="+")
    nonce = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField()
    last_digest_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")

    def __str__(self) -> str:
        return f"subscription {self.pk}"

    def wants(self, category: Category) -> bool:
        chosen = {category.pk for category in self.categories.all()}
        return not chosen or category.pk in chosen
