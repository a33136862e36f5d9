"""Allowances that hold across every server process and machine (the database is the one
store they all share), for what reporters and readers can make the server do: receipt
log-ins, submissions, replies, subscription requests.

Each allowance has two parts. A client (the day-scoped tag of its address) has its own
allowance per window. A client past it may go on only while the *overflow* of the same
scope lasts: one allowance per window shared by every client past theirs. So a reporter
who shares an address with someone abusing it (a Tor exit, an onion service, a NAT) is
still served until the overflow is spent, clients at other addresses are never affected,
and the total that can be got past the per-client allowances is bounded.

Windows are fixed (they start on multiples of their length), which makes each count one
``INSERT … ON CONFLICT … DO UPDATE … RETURNING`` on SQLite and PostgreSQL alike; a client
can therefore get up to twice its allowance across the end of one window.

**The database never singles out an address.** A client is counted in one of
``TIPLINE_LIMIT_BUCKETS`` buckets (4,096 by default) picked by its tag, so a row
stands for about a million IPv4 addresses at once: someone who copies the database,
and holds the secret key that makes the tags, learns at most which buckets were
busy in the last window, not who was. The price: clients sharing a bucket share
its allowance (then the overflow), which with 4,096 buckets is rare until thousands
of different clients use one scope within one window.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from tipline.limits.models import Allowance

OVERFLOW = "*"  # the shared bucket of a scope


@dataclass(frozen=True)
class Policy:
    """Per client, then the shared overflow, each per ``window`` seconds."""

    scope: str
    per_client: int
    overflow: int
    window: int
    # False: each client counted on its own, for clients that are not people's addresses
    # (a staff member's own allowance), where a shared bucket would only be unfair.
    bucketed: bool = True


@dataclass(frozen=True)
class Grant:
    """An admitted use, and which part of the allowance it was taken from."""

    policy: Policy
    bucket: str
    window_start: int


def _window_start(window: int, now: float) -> int:
    return int(now // window) * window


def _digest(scope: str, bucket: str, window_start: int) -> str:
    return hashlib.blake2b(f"{scope}\0{bucket}\0{window_start}".encode(), digest_size=16).hexdigest()


def _count(digest: str, window_ends: datetime) -> int:
    """Add one to a row (made when missing) and return its new count."""
    table = Allowance._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (digest, count, window_ends) VALUES (%s, %s, %s) "  # noqa: S608 - our table name
            f"ON CONFLICT (digest) DO UPDATE SET count = {table}.count + EXCLUDED.count RETURNING count",
            [digest, 1, window_ends],
        )
        row = cursor.fetchone()
    return int(row[0])


def _take(policy: Policy, bucket: str, limit: int, now: float) -> Grant | None:
    start = _window_start(policy.window, now)
    digest = _digest(policy.scope, bucket, start)
    ends = datetime.fromtimestamp(start + policy.window, tz=UTC)
    with transaction.atomic():
        if _count(digest, ends) <= limit:
            return Grant(policy=policy, bucket=bucket, window_start=start)
        # Over: counted back, so that a refusal uses nothing.
        Allowance.objects.filter(digest=digest).update(count=F("count") - 1)
    return None


def _bucket(client_tag: str) -> str:
    """The bucket a client is counted in (see the module's note on privacy)."""
    number = int.from_bytes(hashlib.blake2b(client_tag.encode(), digest_size=8).digest(), "big")
    return str(number % settings.TIPLINE_LIMIT_BUCKETS)


def _bucket_of(policy: Policy, client_tag: str) -> str:
    return _bucket(client_tag) if policy.bucketed else f"client:{client_tag}"


def admit(policy: Policy, *, client_tag: str, now: float | None = None) -> Grant | None:
    """Take one use for ``client_tag``: from its bucket's allowance, else from the overflow.
    ``None`` when both are spent in this window (refuse, with the time to wait)."""
    now = time.time() if now is None else now
    mine = _take(policy, _bucket_of(policy, client_tag), policy.per_client, now)
    return mine or _take(policy, OVERFLOW, policy.overflow, now)


def give_back(grant: Grant) -> None:
    """Return a use (the work it paid for did not happen)."""
    policy = grant.policy
    digest = _digest(policy.scope, grant.bucket, grant.window_start)
    Allowance.objects.filter(digest=digest, count__gt=0).update(count=F("count") - 1)


def used(policy: Policy, *, client_tag: str, now: float | None = None) -> tuple[int, int]:
    """(this client's count, the overflow's count) in the open window: for tests and diagnostics."""
    now = time.time() if now is None else now
    start = _window_start(policy.window, now)
    mine, overflow = (_digest(policy.scope, bucket, start) for bucket in (_bucket_of(policy, client_tag), OVERFLOW))
    counts = dict(Allowance.objects.filter(digest__in=[mine, overflow]).values_list("digest", "count"))
    return counts.get(mine, 0), counts.get(overflow, 0)


def forget_ended(*, now: datetime | None = None) -> int:
    """Delete the rows of windows that have ended (run hourly by the worker)."""
    return Allowance.objects.filter(window_ends__lte=now or timezone.now()).delete()[0]
