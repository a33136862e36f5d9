"""The durable job queue: enqueue, claim, run, retry, schedule.

Guarantees, stated plainly:

* **Durable.** A job is a row. ``enqueue`` inside the caller's transaction makes the job
  exist exactly when the caller's work commits, and a restart loses nothing.
* **One worker at a time.** A job is claimed by one worker, which holds a *lease*
  (``locked_until``). PostgreSQL workers claim with ``SELECT … FOR UPDATE SKIP LOCKED``;
  on SQLite (and any database without it) a claim is a compare-and-set ``UPDATE`` guarded
  by the state and attempt count, which the single SQLite writer applies one at a time.
  The ``tipline worker`` renews the lease while a handler runs.
* **Nothing lost.** A worker killed mid-job stops renewing; once its lease runs out the
  job is claimed again. Every claim counts as an attempt, so a job that kills its worker
  each time ends ``dead`` after ``max_attempts``.
* **At least once, and effects at most once where it can be known.** A job can run again
  after its worker died between doing its work and recording it; no queue can rule that
  out. Two tools make the *effects* happen once: ``@job_handler(…, atomic=True)`` commits
  a handler's database writes in one transaction with the job's ``done`` mark, and
  ``once(key=…)`` records a side effect in the same transaction as its bookkeeping, so a
  retry skips it. For an effect outside the database (an e-mail), a duplicate remains
  possible only if the worker dies after the remote side accepted it and before the
  marker commits (milliseconds); use ``job.idempotency_key`` as the Message-ID so even
  that duplicate is recognisable.
* **Retries back off** exponentially (30 s, 1 min, 2 min, … capped at 1 h) with jitter;
  ``PermanentJobError`` gives up at once.
* **No content.** Payloads hold ids and short tokens (checked here); ``last_error`` and
  the logs carry the exception class and code location, never its message.
* **Time.** Every stored time is an aware UTC datetime; naive datetimes are refused.
  Worker clocks are assumed NTP-synchronised; the lease (60 s) absorbs small skew.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import socket
import threading
import time
import traceback
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any

from django.db import DatabaseError, IntegrityError, close_old_connections, connection, connections, transaction
from django.utils import timezone

from tipline.audit import services as audit
from tipline.jobs.exceptions import (
    InvalidEffectKey,
    InvalidJobOptions,
    InvalidPayload,
    LeaseLost,
    PermanentJobError,
)
from tipline.jobs.models import ACTIVE_STATES, Job, JobQuerySet, JobState, PeriodicSchedule, SentMarker
from tipline.jobs.registry import get_handler, periodic_jobs
from tipline.jobs.schedules import as_utc

log = logging.getLogger("tipline.jobs")

DEFAULT_LEASE = timedelta(seconds=60)
RETRY_BASE = timedelta(seconds=30)
RETRY_CAP = timedelta(hours=1)
MAX_PAYLOAD_BYTES = 2048
MAX_PAYLOAD_TEXT = 64
MAX_PAYLOAD_LIST = 500
MAX_KEY_LENGTH = 200
_PAYLOAD_KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
_CAS_BATCH = 8
_CAS_ROUNDS = 4


class Outcome(StrEnum):
    DONE = "done"
    RETRY = "retry"  # failed; queued again with backoff
    DEAD = "dead"  # failed for the last time, or permanently
    LOST = "lost"  # the lease ran out and another worker took the job over


def new_worker_id() -> str:
    """``host:pid:random``, unique per worker process, shown in ``Job.locked_by``."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


# ---------------------------------------------------------------- enqueue


def _check_payload(payload: Mapping[str, object]) -> dict[str, object]:
    for key, value in payload.items():
        if not isinstance(key, str) or not _PAYLOAD_KEY.fullmatch(key):
            raise InvalidPayload(str(key)[:40], "keys are short lower-case identifiers")
        items = value if isinstance(value, list) else [value]
        if len(items) > MAX_PAYLOAD_LIST:
            raise InvalidPayload(key, f"lists hold at most {MAX_PAYLOAD_LIST} ids")
        for item in items:
            if isinstance(item, str) and len(item) > MAX_PAYLOAD_TEXT:
                raise InvalidPayload(key, f"text longer than {MAX_PAYLOAD_TEXT} characters: store ids, not content")
            if item is not None and not isinstance(item, str | int):
                raise InvalidPayload(key, "only ids (integers, short strings, booleans, null) and lists of them")
    data = dict(payload)
    if len(json.dumps(data)) > MAX_PAYLOAD_BYTES:
        raise InvalidPayload("(payload)", f"larger than {MAX_PAYLOAD_BYTES} bytes")
    return data


def enqueue(
    *,
    kind: str,
    payload: Mapping[str, object],
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = 5,
) -> Job:
    """Queue a job of a registered ``kind`` to run at ``run_at`` (aware; default now).

    Call it inside the transaction that makes the job necessary: the job is a row in that
    transaction, so it runs only if the caller commits, and never before.

    ``payload`` holds ids only (``{"case_id": 42}``); content is refused with
    ``InvalidPayload``. ``dedupe_key`` (global: start it with the kind) allows one
    unfinished job per key: while one is queued, running or waiting to retry, enqueuing
    the same key returns that job instead of adding another. Raises ``UnknownJobKind``,
    ``NaiveDateTime``, ``InvalidPayload`` or ``InvalidJobOptions``.
    """
    get_handler(kind)
    if max_attempts < 1:
        msg = "max_attempts must be at least 1"
        raise InvalidJobOptions(msg)
    if dedupe_key is not None and not 0 < len(dedupe_key) <= MAX_KEY_LENGTH:
        msg = f"a dedupe key has 1 to {MAX_KEY_LENGTH} characters"
        raise InvalidJobOptions(msg)
    job = Job(
        kind=kind,
        payload=_check_payload(payload),
        run_at=as_utc(run_at, "run_at") if run_at is not None else timezone.now(),
        dedupe_key=dedupe_key or "",
        max_attempts=max_attempts,
    )
    if dedupe_key is None:
        job.save(force_insert=True)
        return job
    return _insert_deduplicated(job, dedupe_key)


def _insert_deduplicated(job: Job, dedupe_key: str) -> Job:
    for round_ in range(3):
        try:
            with transaction.atomic():  # a savepoint inside the caller's transaction
                job.save(force_insert=True)
        except IntegrityError:
            # On PostgreSQL the insert waited for a concurrent holder of the key to
            # commit or roll back, so the holder is visible now, or gone.
            existing = Job.objects.filter(dedupe_key=dedupe_key, state__in=ACTIVE_STATES).first()
            if existing is not None:
                return existing
            if round_ == 2:  # the integrity error is not about the key
                raise
        else:
            return job
    raise AssertionError  # pragma: no cover - the loop returns or raises


# ---------------------------------------------------------------- claim


def claim_next(*, worker_id: str, now: datetime, lease: timedelta = DEFAULT_LEASE) -> Job | None:
    """Claim the earliest due job for ``worker_id`` until ``now + lease``, or return None.

    Due jobs are queued or failed jobs whose ``run_at`` has come, and running jobs whose
    lease expired (their worker died). The claim increments ``attempts``. No two workers
    ever hold one job at the same time: see the module docstring for how, per database.
    """
    now = as_utc(now, "now")
    if connection.features.has_select_for_update_skip_locked:
        return _claim_skip_locked(worker_id=worker_id, now=now, lease=lease)
    return _claim_compare_and_set(worker_id=worker_id, now=now, lease=lease)


def _claim_skip_locked(*, worker_id: str, now: datetime, lease: timedelta) -> Job | None:
    with transaction.atomic():
        job = Job.objects.claimable(now).select_for_update(skip_locked=True).order_by("run_at", "id").first()
        if job is None:
            return None
        job.state = JobState.RUNNING
        job.attempts += 1
        job.locked_by = worker_id
        job.locked_until = now + lease
        job.save(update_fields=["state", "attempts", "locked_by", "locked_until"])
    return job


def _claim_compare_and_set(*, worker_id: str, now: datetime, lease: timedelta) -> Job | None:
    for _ in range(_CAS_ROUNDS):
        candidates = list(
            Job.objects.claimable(now).order_by("run_at", "id").values_list("pk", "attempts")[:_CAS_BATCH]
        )
        if not candidates:
            return None
        for pk, attempts in candidates:
            # Applies only if nobody claimed the job since we read it: a claim changes
            # both the state and the attempt count, and SQLite serialises writers.
            taken = (
                Job.objects.claimable(now)
                .filter(pk=pk, attempts=attempts)
                .update(state=JobState.RUNNING, attempts=attempts + 1, locked_by=worker_id, locked_until=now + lease)
            )
            if taken:
                return Job.objects.get(pk=pk)
    return None


def _held_by(job: Job, worker_id: str) -> JobQuerySet:
    """The job, only while ``worker_id`` still holds the claim that produced ``job``."""
    return Job.objects.filter(pk=job.pk, state=JobState.RUNNING, locked_by=worker_id, attempts=job.attempts)


def renew_lease(*, job: Job, worker_id: str, now: datetime, lease: timedelta = DEFAULT_LEASE) -> bool:
    """Extend a held job's lease to ``now + lease``; False if the worker no longer holds it."""
    until = as_utc(now, "now") + lease
    renewed = bool(_held_by(job, worker_id).update(locked_until=until))
    if renewed:
        job.locked_until = until
    return renewed


# ---------------------------------------------------------------- outcome


def retry_delay(*, attempts: int) -> timedelta:
    """Backoff before the next attempt: 30 s doubled per attempt, capped at 1 h, then
    "equal jitter" (between half and all of it) so a burst of failures spreads out."""
    exponential = min(RETRY_CAP, RETRY_BASE * (1 << min(max(attempts - 1, 0), 20)))
    return exponential * secrets.SystemRandom().uniform(0.5, 1.0)


def complete(*, job: Job, worker_id: str, now: datetime) -> None:
    """Mark a held job done. ``LeaseLost`` if another worker has taken it over."""
    now = as_utc(now, "now")
    if not _held_by(job, worker_id).update(state=JobState.DONE, finished_at=now, locked_until=None, last_error=""):
        raise LeaseLost(job.pk, worker_id)
    job.state, job.finished_at, job.locked_until, job.last_error = JobState.DONE, now, None, ""


def fail(*, job: Job, worker_id: str, now: datetime, error: str, permanent: bool = False) -> JobState:
    """Record a failed attempt of a held job: retry with backoff, or ``dead`` when the
    attempts are used up or ``permanent``. ``error`` must be content-free (see
    ``describe_error``). Returns the new state; ``LeaseLost`` if another worker took over."""
    now = as_utc(now, "now")
    changes: dict[str, object] = {"locked_until": None, "last_error": error[:300]}
    if permanent or job.attempts >= job.max_attempts:
        changes.update(state=JobState.DEAD, finished_at=now)
    else:
        changes.update(state=JobState.FAILED, run_at=now + retry_delay(attempts=job.attempts))
    if not _held_by(job, worker_id).update(**changes):
        raise LeaseLost(job.pk, worker_id)
    for name, value in changes.items():
        setattr(job, name, value)
    return JobState(job.state)


def describe_error(*, exc: BaseException) -> str:
    """The exception's class and the innermost code locations, never its message
    (a message can quote what it failed on: a name, an address, a report's words)."""
    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    where = " < ".join(f"{Path(frame.filename).name}:{frame.lineno}" for frame in reversed(frames))
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    return f"{name} at {where}"[:300] if where else name[:300]


def reap_abandoned(*, now: datetime) -> int:
    """Mark ``dead`` the jobs whose worker was lost on their last allowed attempt."""
    now = as_utc(now, "now")
    lost = Job.objects.abandoned_for_good(now)
    if not lost.exists():  # a read: no write lock taken on SQLite when there is nothing to do
        return 0
    return lost.update(
        state=JobState.DEAD, finished_at=now, locked_until=None, last_error="lease expired on the last attempt"
    )


@dataclass(frozen=True)
class RetryOutcome:
    """What ``retry_now`` did with each job id it was given."""

    queued: tuple[int, ...]
    # Another job with the same dedupe key is waiting or running: that one will do the work.
    already_active: tuple[int, ...]
    # Missing, or not dead or failed (done, queued, running).
    not_retryable: tuple[int, ...]


RETRYABLE_STATES = (JobState.DEAD, JobState.FAILED)


def retry_now(*, job_ids: Iterable[int], now: datetime, actor: Any | None, via: str) -> RetryOutcome:
    """Queue dead or failed jobs to run at ``now`` with a fresh count of attempts
    (an operator's decision once the cause is fixed; the last error is kept until the
    next attempt replaces it). Each job is changed in its own savepoint; the jobs queued
    are written to the audit log with ``actor`` (None: the console command) and ``via``."""
    now = as_utc(now, "now")
    queued: list[int] = []
    active: list[int] = []
    refused: list[int] = []
    for job_id in sorted(set(job_ids)):
        try:
            with transaction.atomic():
                changed = Job.objects.filter(pk=job_id, state__in=RETRYABLE_STATES).update(
                    state=JobState.QUEUED, attempts=0, run_at=now, finished_at=None, locked_by="", locked_until=None
                )
        except IntegrityError:  # the one-unfinished-job-per-dedupe-key constraint
            active.append(job_id)
            continue
        (queued if changed else refused).append(job_id)
    if queued:
        audit.record(action="jobs.retried", actor=actor, detail={"jobs": queued, "via": via})
        log.info("jobs queued again by an operator: %s", ", ".join(map(str, queued)))
    return RetryOutcome(tuple(queued), tuple(active), tuple(refused))


# ---------------------------------------------------------------- run


def run_one(*, worker_id: str, now: datetime | None = None, lease: timedelta = DEFAULT_LEASE) -> Outcome | None:
    """Claim the next due job and run it; None when nothing is due."""
    job = claim_next(worker_id=worker_id, now=now or timezone.now(), lease=lease)
    if job is None:
        return None
    return run_claimed(job=job, worker_id=worker_id, lease=lease)


def run_claimed(*, job: Job, worker_id: str, lease: timedelta = DEFAULT_LEASE, keep_alive: bool = False) -> Outcome:
    """Run a job this worker holds and record the outcome.

    With an ``atomic`` handler, the handler's database writes and the ``done`` mark
    commit together: if the worker dies, the handler fails or the lease was lost, none
    of them is kept. ``keep_alive`` renews the lease from a side thread while the
    handler runs (the worker does this; in-process tests leave it off).
    """
    keeper = _LeaseKeeper(job=job, worker_id=worker_id, lease=lease) if keep_alive else None
    with keeper or nullcontext():
        outcome = _execute(job=job, worker_id=worker_id)
    log.info("job %s %s attempt %s/%s: %s", job.pk, job.kind, job.attempts, job.max_attempts, outcome)
    return outcome


def _execute(*, job: Job, worker_id: str) -> Outcome:
    try:
        handler = get_handler(job.kind)
        if handler.atomic:
            with transaction.atomic():
                handler.func(job)
                complete(job=job, worker_id=worker_id, now=timezone.now())
        else:
            handler.func(job)
            complete(job=job, worker_id=worker_id, now=timezone.now())
    except LeaseLost:
        log.warning("job %s %s: lease lost, another worker took it over", job.pk, job.kind)
        return Outcome.LOST
    except Exception as exc:  # any handler failure is recorded and retried
        return _record_failure(job=job, worker_id=worker_id, exc=exc)
    return Outcome.DONE


def _record_failure(*, job: Job, worker_id: str, exc: Exception) -> Outcome:
    error = describe_error(exc=exc)
    try:
        state = fail(
            job=job, worker_id=worker_id, now=timezone.now(), error=error, permanent=isinstance(exc, PermanentJobError)
        )
    except LeaseLost:
        return Outcome.LOST
    log.warning("job %s %s attempt %s/%s failed: %s", job.pk, job.kind, job.attempts, job.max_attempts, error)
    return Outcome.DEAD if state == JobState.DEAD else Outcome.RETRY


class _LeaseKeeper:
    """Renews a running job's lease every third of the lease, on its own connection."""

    def __init__(self, *, job: Job, worker_id: str, lease: timedelta) -> None:
        self._job, self._worker_id, self._lease = job, worker_id, lease
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-job-{job.pk}", daemon=True)

    def __enter__(self) -> _LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            while not self._stop.wait(self._lease.total_seconds() / 3):
                try:
                    held = renew_lease(job=self._job, worker_id=self._worker_id, now=timezone.now(), lease=self._lease)
                except DatabaseError as exc:
                    log.warning("job %s: lease renewal failed (%s)", self._job.pk, type(exc).__name__)
                    continue
                if not held:
                    return  # the handler finds out when it tries to record its outcome
        finally:
            connections.close_all()  # this thread's connections only


# ---------------------------------------------------------------- effects


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


# ---------------------------------------------------------------- periodic and upkeep


def schedule_periodic(*, now: datetime) -> list[Job]:
    """Enqueue every periodic kind whose slot has come; returns the jobs enqueued.

    Each kind's next slot is a row advanced by compare-and-set in the same transaction
    as the enqueue, so however many workers call this, a slot is enqueued once. Slots
    missed while no worker ran are coalesced into one run, and a new slot whose previous
    job has not finished yet joins it (dedupe key ``periodic:<kind>``).
    """
    now = as_utc(now, "now")
    enqueued: list[Job] = []
    for spec in periodic_jobs():
        row, _ = PeriodicSchedule.objects.get_or_create(
            kind=spec.kind, defaults={"next_run_at": spec.schedule.next_after(now)}
        )
        slot = row.next_run_at
        if slot > now:
            continue
        with transaction.atomic():
            advanced = PeriodicSchedule.objects.filter(pk=row.pk, next_run_at=slot).update(
                next_run_at=spec.schedule.next_after(now)
            )
            if advanced:
                enqueued.append(
                    enqueue(
                        kind=spec.kind,
                        payload={"slot": slot.isoformat()},
                        run_at=slot,
                        dedupe_key=f"periodic:{spec.kind}",
                        max_attempts=spec.max_attempts,
                    )
                )
    return enqueued


def purge_finished(
    *,
    now: datetime,
    keep_done: timedelta = timedelta(days=7),
    keep_dead: timedelta = timedelta(days=90),
    keep_markers: timedelta = timedelta(days=90),
) -> int:
    """Delete finished jobs, and job-scoped effect markers, past their keeping time;
    returns the rows deleted. Markers with keys of the apps' own are left alone."""
    now = as_utc(now, "now")
    done, _ = Job.objects.filter(state=JobState.DONE, finished_at__lt=now - keep_done).delete()
    dead, _ = Job.objects.filter(state=JobState.DEAD, finished_at__lt=now - keep_dead).delete()
    markers = forget_effects(key_prefix="job-", older_than=now - keep_markers)
    return done + dead + markers


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


def _refresh_connections() -> None:
    # Like the end of a request: drop connections past CONN_MAX_AGE or broken. Never
    # inside a transaction (an in-process test runs the worker inside one).
    if not any(conn.in_atomic_block for conn in connections.all(initialized_only=True)):
        close_old_connections()


def _upkeep(*, now: datetime) -> None:
    reaped = reap_abandoned(now=now)
    if reaped:
        log.warning("%s jobs lost their worker on their last attempt and are now dead", reaped)
    for job in schedule_periodic(now=now):
        log.info("job %s %s scheduled for %s", job.pk, job.kind, job.run_at.isoformat())


def work(
    *,
    stop: threading.Event,
    worker_id: str | None = None,
    drain: bool = False,
    poll_seconds: float = 1.0,
    lease: timedelta = DEFAULT_LEASE,
    upkeep_seconds: float = 5.0,
) -> int:
    """The worker loop behind ``tipline worker``; returns how many jobs it ran.

    Claims and runs due jobs one at a time, renewing each lease while it runs; when idle,
    waits ``poll_seconds``. Every ``upkeep_seconds`` it enqueues due periodic jobs and
    buries jobs lost on their last attempt. Setting ``stop`` ends the loop after the
    current job. ``drain`` runs what is due now, then returns. A database outage is
    waited out (logged by class name only), except when draining.
    """
    worker_id = worker_id or new_worker_id()
    log.info("worker %s started", worker_id)
    ran, next_upkeep = 0, 0.0
    while not stop.is_set():
        try:
            if time.monotonic() >= next_upkeep:
                _upkeep(now=timezone.now())
                next_upkeep = time.monotonic() + upkeep_seconds
            job = claim_next(worker_id=worker_id, now=timezone.now(), lease=lease)
            if job is not None:
                run_claimed(job=job, worker_id=worker_id, lease=lease, keep_alive=True)
                ran += 1
        except DatabaseError as exc:
            if drain:
                raise
            log.warning("worker %s: database error (%s); retrying", worker_id, type(exc).__name__)
            connections.close_all()
            stop.wait(max(poll_seconds, 5.0))
            continue
        _refresh_connections()
        if job is None:
            if drain:
                break
            stop.wait(poll_seconds)
    log.info("worker %s stopped after %s jobs", worker_id, ran)
    return ran
