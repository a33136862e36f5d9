"""Which function runs which job kind, and which kinds recur.

Apps declare handlers in a module named ``<app>/jobs.py``; ``JobsConfig.ready`` imports
every such module, so each process (web or worker) knows every kind::

    from tipline.jobs.registry import job_handler, periodic

    @job_handler("cases.remind_deadline")
    def remind_deadline(job: Job) -> None:
        case = Case.objects.get(pk=job.payload["case_id"])
        ...

    @periodic("cases.escalate_overdue", daily_at=time(7, 0), tz="Europe/Berlin")
    def escalate_overdue(job: Job) -> None: ...

A handler takes the claimed ``Job`` and returns nothing; raising retries the job with
backoff, raising ``PermanentJobError`` gives up at once. Handlers run at least once:
make them idempotent, or wrap each side effect in ``services.once`` (see there).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time, timedelta
from typing import TYPE_CHECKING

from tipline.jobs.exceptions import DuplicateJobKind, InvalidJobKind, InvalidSchedule, UnknownJobKind
from tipline.jobs.schedules import DailyAt, Every, Schedule

if TYPE_CHECKING:
    from tipline.jobs.models import Job

HandlerFunc = Callable[["Job"], None]

_KIND = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
_MAX_KIND = 100


@dataclass(frozen=True)
class Handler:
    kind: str
    func: HandlerFunc
    # True: the handler's database writes commit in one transaction with the job's
    # "done" mark, so they happen exactly once (see services.run_claimed).
    atomic: bool


@dataclass(frozen=True)
class Periodic:
    kind: str
    schedule: Schedule
    max_attempts: int


_handlers: dict[str, Handler] = {}
_periodic: dict[str, Periodic] = {}


def _same_function(a: HandlerFunc, b: HandlerFunc) -> bool:
    # A module imported twice (tests, reloads) re-registers an equal function: allowed.
    return (a.__module__, a.__qualname__) == (b.__module__, b.__qualname__)


def _register(kind: str, func: HandlerFunc, *, atomic: bool) -> None:
    if len(kind) > _MAX_KIND or not _KIND.fullmatch(kind):
        raise InvalidJobKind(kind)
    existing = _handlers.get(kind)
    if existing is not None and not _same_function(existing.func, func):
        raise DuplicateJobKind(kind)
    _handlers[kind] = Handler(kind=kind, func=func, atomic=atomic)


def job_handler(kind: str, *, atomic: bool = False) -> Callable[[HandlerFunc], HandlerFunc]:
    """Register the decorated function as the handler of ``kind`` (``"app.action"``)."""

    def decorate(func: HandlerFunc) -> HandlerFunc:
        _register(kind, func, atomic=atomic)
        return func

    return decorate


def periodic(
    kind: str,
    *,
    every: timedelta | None = None,
    daily_at: time | None = None,
    tz: str = "UTC",
    atomic: bool = False,
    max_attempts: int = 3,
) -> Callable[[HandlerFunc], HandlerFunc]:
    """Register a handler that the worker enqueues on a schedule.

    Give exactly one of ``every`` (elapsed time, DST-proof UTC slots) or ``daily_at``
    (wall-clock time in ``tz``). Several workers enqueue each slot once; slots missed
    while no worker ran are coalesced into one run. The job's payload is
    ``{"slot": "<ISO time of the slot, UTC>"}``.
    """
    if (every is None) == (daily_at is None):
        msg = f"periodic job {kind!r} needs exactly one of every= or daily_at="
        raise InvalidSchedule(msg)
    schedule: Schedule = Every(every) if every is not None else DailyAt.in_zone(daily_at or time(), tz)

    def decorate(func: HandlerFunc) -> HandlerFunc:
        _register(kind, func, atomic=atomic)
        _periodic[kind] = Periodic(kind=kind, schedule=schedule, max_attempts=max_attempts)
        return func

    return decorate


def get_handler(kind: str) -> Handler:
    """The handler registered for ``kind``; ``UnknownJobKind`` if there is none."""
    try:
        return _handlers[kind]
    except KeyError:
        raise UnknownJobKind(kind) from None


def is_registered(kind: str) -> bool:
    return kind in _handlers


def periodic_jobs() -> list[Periodic]:
    """Every periodic declaration, in a stable order."""
    return [_periodic[kind] for kind in sorted(_periodic)]
