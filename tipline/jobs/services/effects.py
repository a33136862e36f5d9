"""Side effects at most once: ``once`` records each in the same transaction as its
marker, and ``forget_effects`` lets chosen markers go."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from django.db import IntegrityError, transaction

from tipline.jobs.exceptions import InvalidEffectKey
from tipline.jobs.models import SentMarker
from tipline.jobs.schedules import as_utc
from tipline.jobs.services.queue import MAX_KEY_LENGTH


@contextmanager
def once(*, key: str) -> Iterator[bool]:
    """Do a side effect at most once per ``key``; yields True the first time.

    ::

        with once(key=job.effect_key("notify-handler")) as first:
            if first:
                Notification.objects.create(...)    # or send_mail(..., headers={"Message-ID": ...})

    The marker and whatever the block writes commit in one transaction: if the block
    raises or the worker dies inside it, neither is kept and a retry does the effect.
    For database effects that is exactly once. For an external effect a duplicate can
    only follow a death between the remote side accepting it and the commit. While one
    worker is inside the block, another worker with the same key waits for it (the
    unique marker row) and then skips. Keep the block short: on SQLite it holds the
    one write lock.

    Keys are ids only. A job-scoped key (``job.effect_key(step)``) is forgotten 90 days
    later by ``jobs.housekeeping``; a key of your own (``"publishing.article:7:42"``)
    is kept until you call ``forget_effects``, so "never twice to anyone" holds for good.
    """
    if not 0 < len(key) <= MAX_KEY_LENGTH:
        msg = f"an effect key has 1 to {MAX_KEY_LENGTH} characters"
        raise InvalidEffectKey(msg)
    with transaction.atomic():
        if SentMarker.objects.filter(key=key).exists():
            yield False
            return
        try:
            with transaction.atomic():
                SentMarker.objects.create(key=key)
        except IntegrityError:  # another worker committed the same key meanwhile
            yield False
            return
        yield True


def forget_effects(*, key_prefix: str, older_than: datetime) -> int:
    """Delete the ``once`` markers whose key starts with ``key_prefix`` and that were
    written before ``older_than``; the effects they stand for may then happen again."""
    if not key_prefix:
        msg = "forget_effects needs a key prefix"
        raise InvalidEffectKey(msg)
    deleted, _ = SentMarker.objects.filter(
        key__startswith=key_prefix, created_at__lt=as_utc(older_than, "older_than")
    ).delete()
    return deleted
