"""Named failures of the job queue. Messages never carry a payload or report content."""

from __future__ import annotations


class JobError(Exception):
    """Base class for every error raised by ``tipline.jobs``."""


class UnknownJobKind(JobError):
    """No handler is registered under this kind (misspelt, or its app is not installed)."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"no job handler is registered for kind {kind!r}")
        self.kind = kind


class DuplicateJobKind(JobError):
    """Two different functions were registered under one kind."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"a different job handler is already registered for kind {kind!r}")
        self.kind = kind


class InvalidJobKind(JobError):
    """A kind must look like ``app.action``: lower case letters, digits, ``_`` and dots."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"job kinds look like 'app.action'; got {kind!r}")
        self.kind = kind


class InvalidPayload(JobError):
    """A payload holds only ids and short tokens, never content; ``key`` names the offending entry."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"job payload entry {key!r}: {reason}")
        self.key = key
        self.reason = reason


class NaiveDateTime(JobError):
    """``run_at`` (or a schedule's clock) must be time-zone aware: a naive time is ambiguous."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} must be a time-zone aware datetime")


class InvalidSchedule(JobError):
    """A periodic declaration that cannot be turned into run times."""


class InvalidEffectKey(JobError):
    """An idempotency key for ``once`` must be 1 to 200 characters of ids, never content."""


class LeaseLost(JobError):
    """This worker no longer holds the job: its lease expired and another worker took it over.

    The other worker's outcome wins; nothing this worker would record is written.
    """

    def __init__(self, job_id: int, worker_id: str) -> None:
        super().__init__(f"worker {worker_id} no longer holds job {job_id}")
        self.job_id = job_id
        self.worker_id = worker_id


class PermanentJobError(JobError):
    """Raised by a handler when retrying cannot help (the record it needs is gone).

    The job goes straight to ``dead``. Only the class name is stored, never the message,
    so subclass it with a descriptive name (``CaseGone``) rather than writing details.
    """


class InvalidJobOptions(JobError):
    """``max_attempts`` below one, or a dedupe key longer than 200 characters."""
