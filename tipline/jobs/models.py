"""The job queue's tables. Nothing here holds report content: payloads carry ids only."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class JobState(models.TextChoices):
    QUEUED = "queued"  # waiting for run_at
    RUNNING = "running"  # claimed; held by locked_by until locked_until
    FAILED = "failed"  # last attempt failed; retried at run_at
    DONE = "done"
    DEAD = "dead"  # gave up: attempts used up, or a permanent error


# Jobs a worker may still run. A dedupe key is unique among these only, so a key can
# be used again once its job has finished.
ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING, JobState.FAILED)
WAITING_STATES = (JobState.QUEUED, JobState.FAILED)
FINISHED_STATES = (JobState.DONE, JobState.DEAD)


class JobQuerySet(models.QuerySet["Job"]):
    def claimable(self, now: datetime) -> JobQuerySet:
        """Jobs due by ``now``, and jobs whose worker's lease ran out (a killed worker)."""
        due = Q(state__in=WAITING_STATES, run_at__lte=now)
        abandoned = Q(state=JobState.RUNNING, locked_until__lt=now)
        return self.filter(due | abandoned, attempts__lt=F("max_attempts"))

    def abandoned_for_good(self, now: datetime) -> JobQuerySet:
        """Running jobs whose lease expired on their last allowed attempt."""
        return self.filter(state=JobState.RUNNING, locked_until__lt=now, attempts__gte=F("max_attempts"))


class Job(models.Model):
    """One unit of background work: ``kind`` names the handler, ``payload`` holds ids.

    ``attempts`` counts claims, so an attempt whose worker was killed counts too and a
    job that crashes its worker every time ends ``dead`` rather than looping.
    """

    kind = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    run_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=5)
    # Exception class and code location only: a message could quote content.
    last_error = models.CharField(max_length=300, blank=True)
    locked_by = models.CharField(max_length=100, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        ordering = ["run_at", "id"]
        indexes = [
            models.Index(fields=["run_at"], condition=Q(state__in=WAITING_STATES), name="jobs_job_due_idx"),
            models.Index(fields=["locked_until"], condition=Q(state=JobState.RUNNING), name="jobs_job_lease_idx"),
            models.Index(fields=["finished_at"], condition=Q(state__in=FINISHED_STATES), name="jobs_job_finished_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=Q(state__in=ACTIVE_STATES) & ~Q(dedupe_key=""),
                name="jobs_job_one_active_per_dedupe_key",
            ),
            models.CheckConstraint(condition=Q(state__in=JobState.values), name="jobs_job_state_valid"),
            models.CheckConstraint(condition=Q(max_attempts__gte=1), name="jobs_job_max_attempts_positive"),
            models.CheckConstraint(
                condition=~Q(state=JobState.RUNNING) | Q(locked_until__isnull=False),
                name="jobs_job_running_has_lease",
            ),
        ]

    def __str__(self) -> str:
        return f"job {self.pk} {self.kind} ({self.state})"

    @property
    def idempotency_key(self) -> str:
        """Stable across attempts and workers: use it where a receiver can deduplicate
        (an e-mail Message-ID, an API's idempotency header)."""
        return f"job-{self.pk}"

    def effect_key(self, step: str) -> str:
        """Key for ``services.once``: one side effect ``step`` of this job, whatever the attempt."""
        return f"{self.idempotency_key}:{step}"


class SentMarker(models.Model):
    """A side effect that has happened, written by ``services.once`` in the same
    transaction as the effect's own bookkeeping, so a retry can skip it."""

    key = models.CharField(max_length=200, unique=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.key


class PeriodicSchedule(models.Model):
    """The next slot of one periodic kind. Workers advance it with a compare-and-set,
    so however many run, each slot is enqueued once."""

    kind = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.kind} next at {self.next_run_at.isoformat()}"
