"""Running jobs: one claimed job with its outcome recorded (``run_one``, ``run_claimed``),
its lease renewed while it runs, and the worker loop behind ``tipline worker`` (``work``)."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from contextlib import nullcontext
from datetime import datetime, timedelta
from enum import StrEnum
from types import TracebackType

from django.db import DatabaseError, close_old_connections, connections, transaction
from django.utils import timezone

from tipline.jobs.exceptions import LeaseLost, PermanentJobError
from tipline.jobs.models import Job, JobState
from tipline.jobs.registry import get_handler
from tipline.jobs.services.queue import DEFAULT_LEASE, claim_next, complete, describe_error, fail, renew_lease
from tipline.jobs.services.upkeep import _upkeep

log = logging.getLogger("tipline.jobs")


class Outcome(StrEnum):
    DONE = "done"
    RETRY = "retry"  # failed; queued again with backoff
    DEAD = "dead"  # failed for the last time, or permanently
    LOST = "lost"  # the lease ran out and another worker took the job over


def new_worker_id() -> str:
    """``host:pid:random``, unique per worker process, shown in ``Job.locked_by``."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


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


# ---------------------------------------------------------------- worker loop


def _refresh_connections() -> None:
    # Like the end of a request: drop connections past CONN_MAX_AGE or broken. Never
    # inside a transaction (an in-process test runs the worker inside one).
    if not any(conn.in_atomic_block for conn in connections.all(initialized_only=True)):
        close_old_connections()


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
