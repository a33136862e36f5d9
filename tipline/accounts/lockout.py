"""Lock a username, for one client, after repeated failed log-in steps (wrong passwords
or codes).

The count lives in the database, per username *and* client (the day-scoped tag of the
address, never the address), so it holds across processes and machines, and nobody can
lock a colleague out by typing their name from elsewhere: the lock holds only where the
failures came from. Beside it, a much higher count per username from everywhere
(``TIPLINE_LOGIN_ATTEMPTS_OVERALL``) locks the name for all when someone guesses its
password from many addresses at once. Unknown names are counted like real ones, so
neither the message nor the timing of a lock-out tells whether an account exists.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from tipline.accounts.exceptions import AccountLocked
from tipline.accounts.models import LoginThrottle, StaffUser
from tipline.audit import services as audit

_KEY_SALT = "tipline.accounts.lockout"
EVERYWHERE = "*"  # the count of a username from every client together


def _counts(client_tag: str) -> list[tuple[str, int]]:
    """(client, limit) for the two counts each attempt goes into."""
    return [(client_tag, settings.TIPLINE_LOGIN_ATTEMPTS), (EVERYWHERE, settings.TIPLINE_LOGIN_ATTEMPTS_OVERALL)]


def _now() -> dt.datetime:
    return timezone.now()


def _key(username: str, client_tag: str) -> str:
    name = StaffUser.normalize_username(username).casefold()
    return salted_hmac(_KEY_SALT, f"{name}\0{client_tag}", algorithm="sha256").hexdigest()


def check_not_locked(*, username: str, client_tag: str) -> None:
    """Raise :class:`AccountLocked` while the username is locked for this client (or everywhere)."""
    keys = [_key(username, tag) for tag, _ in _counts(client_tag)]
    until = (
        LoginThrottle.objects.filter(key__in=keys, locked_until__gt=_now())
        .order_by("-locked_until")
        .values_list("locked_until", flat=True)
        .first()
    )
    if until is not None:
        raise AccountLocked(until)


def _fresh(throttle: LoginThrottle, now: dt.datetime, window: dt.timedelta) -> None:
    if throttle.updated_at < now - window or (throttle.locked_until and throttle.locked_until <= now):
        throttle.failures, throttle.locked_until = 0, None


def _lock(throttle: LoginThrottle, now: dt.datetime, window: dt.timedelta, limit: int, everywhere: bool) -> None:
    throttle.failures, throttle.locked_until = 0, now + window
    detail: dict[str, object] = {"attempts": limit, "seconds": settings.TIPLINE_LOGIN_LOCK_SECONDS}
    if everywhere:
        detail["everywhere"] = True
    audit.record(action="staff.locked", actor=throttle.user, detail=detail)


def take_attempt(*, username: str, client_tag: str) -> None:
    """Count a password attempt before its (slow, memory-hard) check, so that attempts sent
    all at once cannot all pass while the first ones are still being checked. At most
    the limit is counted, for this client and for everywhere; one more locks. Settle each
    with :func:`settle_attempt`. Raises :class:`AccountLocked`."""
    for tag, limit in _counts(client_tag):
        _take_one(_key(username, tag), limit, everywhere=tag == EVERYWHERE)


def _take_one(key: str, limit: int, *, everywhere: bool) -> None:
    now = _now()
    window = dt.timedelta(seconds=settings.TIPLINE_LOGIN_LOCK_SECONDS)
    with transaction.atomic():
        throttle, _ = LoginThrottle.objects.select_for_update().get_or_create(key=key, defaults={"updated_at": now})
        if throttle.locked_until and throttle.locked_until > now:
            raise AccountLocked(throttle.locked_until)
        _fresh(throttle, now, window)
        if throttle.failures >= limit:
            _lock(throttle, now, window, limit, everywhere)
        else:
            throttle.failures += 1
        throttle.updated_at = now
        throttle.save()
    if throttle.locked_until is not None:
        raise AccountLocked(throttle.locked_until)


def settle_attempt(*, username: str, client_tag: str, right: bool, user: StaffUser | None = None) -> None:
    """After the check of an attempt counted by :func:`take_attempt`: a right password gives
    its count back (the wrong ones before it still count); a wrong one keeps it, and locks
    the username when the limit is reached (raising :class:`AccountLocked`)."""
    for tag, limit in _counts(client_tag):
        _settle_one(_key(username, tag), limit, right=right, user=user, everywhere=tag == EVERYWHERE)


def _settle_one(key: str, limit: int, *, right: bool, user: StaffUser | None, everywhere: bool) -> None:
    now = _now()
    window = dt.timedelta(seconds=settings.TIPLINE_LOGIN_LOCK_SECONDS)
    with transaction.atomic():
        throttle = LoginThrottle.objects.select_for_update().filter(key=key).first()
        if throttle is None or throttle.locked_until is not None:
            return
        throttle.user = throttle.user or user
        if right:
            throttle.failures = max(0, throttle.failures - 1)
        elif throttle.failures >= limit:
            _lock(throttle, now, window, limit, everywhere)
        throttle.save()
    if throttle.locked_until is not None:
        raise AccountLocked(throttle.locked_until)


def record_failure(*, username: str, client_tag: str, user: StaffUser | None = None) -> None:
    """Count one failed step, for this client and everywhere; lock (and audit
    ``staff.locked``) at the configured limit.

    Raises :class:`AccountLocked` when this failure locks the username. Failures
    older than the lock period are forgotten, so rare typos never add up.
    """
    for tag, limit in _counts(client_tag):
        _record_one(_key(username, tag), limit, user=user, everywhere=tag == EVERYWHERE)


def _record_one(key: str, limit: int, *, user: StaffUser | None, everywhere: bool) -> None:
    now = _now()
    window = dt.timedelta(seconds=settings.TIPLINE_LOGIN_LOCK_SECONDS)
    with transaction.atomic():
        throttle, _ = LoginThrottle.objects.select_for_update().get_or_create(
            key=key, defaults={"updated_at": now, "user": user}
        )
        _fresh(throttle, now, window)
        throttle.failures += 1
        throttle.updated_at = now
        throttle.user = throttle.user or user
        if throttle.failures >= limit:
            _lock(throttle, now, window, limit, everywhere)
        throttle.save()
    if throttle.locked_until is not None:
        raise AccountLocked(throttle.locked_until)


def clear_failures(*, user: StaffUser, client_tag: str | None = None) -> None:
    """Forget failed steps after a complete log-in from ``client_tag`` (those from elsewhere
    still count), or every one of them (an admin's restore, without ``client_tag``)."""
    if client_tag is None:
        LoginThrottle.objects.filter(user=user).delete()
    else:
        LoginThrottle.objects.filter(key=_key(user.get_username(), client_tag)).delete()


def purge_stale(*, older_than: dt.timedelta | None = None) -> int:
    """Delete rows that neither lock nor count any more (names typed once and never again)."""
    cutoff = _now() - (older_than or dt.timedelta(seconds=settings.TIPLINE_LOGIN_LOCK_SECONDS))
    deleted, _ = LoginThrottle.objects.filter(updated_at__lt=cutoff).exclude(locked_until__gt=_now()).delete()
    return deleted
