"""A job's life in the queue: enqueue with payload checks, claim and lease, and the
recorded outcome of an attempt (done, retry with backoff, dead), plus an operator's retry."""

from __future__ import annotations

import json
import logging
import re
import secrets
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tipline.audit import services as audit
from tipline.jobs.exceptions import InvalidJobOptions, InvalidPayload, LeaseLost
from tipline.jobs.models import ACTIVE_STATES, Job, JobQuerySet, JobState
from tipline.jobs.registry import get_handler
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
    ever hold one job at the same time: see the package docstring for how, per database.
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


# ---------------------------------------------------------------- operator retry


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
