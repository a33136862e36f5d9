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

The package's modules: ``queue`` (enqueue, claim, lease, outcome, operator retry),
``running`` (one job, and the worker loop), ``effects`` (``once``) and ``upkeep``
(periodic jobs, abandoned jobs, purging). Import from ``tipline.jobs.services``.
"""

from __future__ import annotations

from tipline.jobs.services.effects import forget_effects, once
from tipline.jobs.services.queue import (
    DEFAULT_LEASE,
    MAX_KEY_LENGTH,
    MAX_PAYLOAD_BYTES,
    MAX_PAYLOAD_LIST,
    MAX_PAYLOAD_TEXT,
    RETRY_BASE,
    RETRY_CAP,
    RETRYABLE_STATES,
    RetryOutcome,
    claim_next,
    complete,
    describe_error,
    enqueue,
    fail,
    renew_lease,
    retry_delay,
    retry_now,
)
from tipline.jobs.services.running import Outcome, new_worker_id, run_claimed, run_one, work
from tipline.jobs.services.upkeep import purge_finished, reap_abandoned, schedule_periodic

__all__ = [
    "DEFAULT_LEASE",
    "MAX_KEY_LENGTH",
    "MAX_PAYLOAD_BYTES",
    "MAX_PAYLOAD_LIST",
    "MAX_PAYLOAD_TEXT",
    "RETRYABLE_STATES",
    "RETRY_BASE",
    "RETRY_CAP",
    "Outcome",
    "RetryOutcome",
    "claim_next",
    "complete",
    "describe_error",
    "enqueue",
    "fail",
    "forget_effects",
    "new_worker_id",
    "once",
    "purge_finished",
    "reap_abandoned",
    "renew_lease",
    "retry_delay",
    "retry_now",
    "run_claimed",
    "run_one",
    "schedule_periodic",
    "work",
]
