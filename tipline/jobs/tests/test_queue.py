from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from tipline.jobs.exceptions import (
    InvalidEffectKey,
    InvalidJobOptions,
    InvalidPayload,
    LeaseLost,
    NaiveDateTime,
    UnknownJobKind,
)
from tipline.jobs.models import Job, JobState, SentMarker
from tipline.jobs.services import (
    DEFAULT_LEASE,
    Outcome,
    claim_next,
    complete,
    enqueue,
    forget_effects,
    once,
    purge_finished,
    reap_abandoned,
    renew_lease,
    retry_delay,
    run_claimed,
    run_one,
)
from tipline.jobs.tests import handlers
from tipline.jobs.tests.conftest import T0, WORKER_A, WORKER_B

pytestmark = pytest.mark.django_db


def test_a_job_is_enqueued_claimed_by_one_worker_and_completed() -> None:
    job = enqueue(kind="jobstest.noop", payload={"case_id": 7}, run_at=T0)
    assert claim_next(worker_id=WORKER_A, now=T0 - timedelta(seconds=1)) is None

    claimed = claim_next(worker_id=WORKER_A, now=T0)
    assert claimed is not None
    assert (claimed.pk, claimed.state, claimed.attempts, claimed.locked_by) == (job.pk, JobState.RUNNING, 1, WORKER_A)
    assert claimed.locked_until == T0 + DEFAULT_LEASE
    assert claim_next(worker_id=WORKER_B, now=T0) is None

    complete(job=claimed, worker_id=WORKER_A, now=T0 + timedelta(seconds=3))
    job.refresh_from_db()
    assert job.state == JobState.DONE
    assert job.finished_at == T0 + timedelta(seconds=3)
    assert claim_next(worker_id=WORKER_B, now=T0 + timedelta(days=1)) is None


def test_due_jobs_are_claimed_earliest_first() -> None:
    late = enqueue(kind="jobstest.noop", payload={}, run_at=T0)
    early = enqueue(kind="jobstest.noop", payload={}, run_at=T0 - timedelta(minutes=5))
    first = claim_next(worker_id=WORKER_A, now=T0)
    second = claim_next(worker_id=WORKER_B, now=T0)
    assert first is not None
    assert second is not None
    assert [first.pk, second.pk] == [early.pk, late.pk]


def test_run_at_in_any_zone_is_stored_as_the_same_instant_in_utc() -> None:
    berlin = datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    job = enqueue(kind="jobstest.noop", payload={}, run_at=berlin)
    job.refresh_from_db()
    assert job.run_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert job.run_at.utcoffset() == timedelta(0)


def _enqueue_then_roll_back() -> None:
    with transaction.atomic():
        enqueue(kind="jobstest.noop", payload={"case_id": 1})
        raise RuntimeError


def test_an_enqueued_job_exists_only_if_the_caller_commits() -> None:
    with pytest.raises(RuntimeError):
        _enqueue_then_roll_back()
    assert not Job.objects.exists()


def test_bad_jobs_are_refused_before_anything_is_stored() -> None:
    with pytest.raises(UnknownJobKind):
        enqueue(kind="jobstest.no_such_handler", payload={})
    with pytest.raises(NaiveDateTime):
        enqueue(kind="jobstest.noop", payload={}, run_at=datetime(2026, 5, 4, 12, 0))
    with pytest.raises(InvalidJobOptions):
        enqueue(kind="jobstest.noop", payload={}, max_attempts=0)
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"answer": handlers.SECRET * 2},
        {"answers": {"what": "x"}},
        {"ids": [1, 2, handlers.SECRET * 2]},
        {"Bad Key": 1},
        {"amount": 1.5},
        {"ids": list(range(501))},
    ],
)
def test_a_payload_with_content_instead_of_ids_is_refused(payload: dict[str, object]) -> None:
    with pytest.raises(InvalidPayload):
        enqueue(kind="jobstest.noop", payload=payload)


def test_a_failed_attempt_is_retried_later_with_backoff() -> None:
    job = enqueue(kind="jobstest.boom", payload={}, run_at=T0)
    before = timezone.now()
    assert run_one(worker_id=WORKER_A, now=T0) == Outcome.RETRY
    after = timezone.now()
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.attempts == 1
    assert before + timedelta(seconds=15) <= job.run_at <= after + timedelta(seconds=30)
    assert claim_next(worker_id=WORKER_A, now=job.run_at - timedelta(seconds=1)) is None

    assert run_one(worker_id=WORKER_A, now=job.run_at) == Outcome.RETRY
    second_failure = timezone.now()
    job.refresh_from_db()
    assert job.attempts == 2
    assert second_failure + timedelta(seconds=29) <= job.run_at <= second_failure + timedelta(seconds=61)


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    for attempts, full in [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600), (50, 3600)]:
        delays = [retry_delay(attempts=attempts).total_seconds() for _ in range(50)]
        assert all(full / 2 <= delay <= full for delay in delays), attempts
        assert len(set(delays)) > 1, "jittered"


def test_a_job_is_dead_after_its_last_attempt() -> None:
    job = enqueue(kind="jobstest.boom", payload={}, run_at=T0, max_attempts=2)
    assert run_one(worker_id=WORKER_A, now=T0) == Outcome.RETRY
    job.refresh_from_db()
    assert run_one(worker_id=WORKER_A, now=job.run_at) == Outcome.DEAD
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.DEAD, 2)
    assert job.finished_at is not None
    assert run_one(worker_id=WORKER_A, now=job.run_at + timedelta(days=2)) is None


def test_a_permanent_error_gives_up_at_once() -> None:
    job = enqueue(kind="jobstest.gone", payload={}, run_at=T0)
    assert run_one(worker_id=WORKER_A, now=T0) == Outcome.DEAD
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.DEAD, 1)
    assert "CaseGone" in job.last_error


def test_errors_are_recorded_and_logged_without_their_message(caplog: pytest.LogCaptureFixture) -> None:
    job = enqueue(kind="jobstest.boom", payload={"case_id": 42}, run_at=T0)
    with caplog.at_level(logging.DEBUG, logger="tipline.jobs"):
        run_one(worker_id=WORKER_A, now=T0)
    job.refresh_from_db()
    assert job.last_error.startswith("builtins.ValueError at handlers.py:")
    assert handlers.SECRET not in job.last_error
    assert handlers.SECRET not in caplog.text
    assert "jobstest.boom" in caplog.text


def test_a_job_of_a_killed_worker_is_claimed_again_after_its_lease() -> None:
    job = enqueue(kind="jobstest.noop", payload={}, run_at=T0)
    held_by_a = claim_next(worker_id=WORKER_A, now=T0)
    assert held_by_a is not None
    # Worker A is killed here: it never completes nor renews.
    assert claim_next(worker_id=WORKER_B, now=T0 + DEFAULT_LEASE - timedelta(seconds=1)) is None
    held_by_b = claim_next(worker_id=WORKER_B, now=T0 + DEFAULT_LEASE + timedelta(seconds=1))
    assert held_by_b is not None
    assert (held_by_b.pk, held_by_b.attempts, held_by_b.locked_by) == (job.pk, 2, WORKER_B)

    with pytest.raises(LeaseLost):
        complete(job=held_by_a, worker_id=WORKER_A, now=T0 + DEFAULT_LEASE * 2)
    complete(job=held_by_b, worker_id=WORKER_B, now=T0 + DEFAULT_LEASE * 2)
    job.refresh_from_db()
    assert (job.state, job.locked_by) == (JobState.DONE, WORKER_B)


def test_a_renewed_lease_keeps_a_slow_job_with_its_worker() -> None:
    enqueue(kind="jobstest.noop", payload={}, run_at=T0)
    job = claim_next(worker_id=WORKER_A, now=T0)
    assert job is not None
    assert renew_lease(job=job, worker_id=WORKER_A, now=T0 + DEFAULT_LEASE / 2)
    assert claim_next(worker_id=WORKER_B, now=T0 + DEFAULT_LEASE + timedelta(seconds=1)) is None
    assert not renew_lease(job=job, worker_id=WORKER_B, now=T0 + DEFAULT_LEASE)


def test_a_job_whose_worker_died_on_its_last_attempt_is_buried() -> None:
    job = enqueue(kind="jobstest.noop", payload={}, run_at=T0, max_attempts=1)
    assert claim_next(worker_id=WORKER_A, now=T0) is not None
    after_lease = T0 + DEFAULT_LEASE + timedelta(seconds=1)
    assert claim_next(worker_id=WORKER_B, now=after_lease) is None
    assert reap_abandoned(now=after_lease) == 1
    job.refresh_from_db()
    assert job.state == JobState.DEAD
    assert job.last_error == "lease expired on the last attempt"


def test_a_dedupe_key_allows_one_unfinished_job() -> None:
    first = enqueue(kind="jobstest.noop", payload={"case_id": 1}, run_at=T0, dedupe_key="jobstest.noop:case-1")
    again = enqueue(kind="jobstest.noop", payload={"case_id": 1}, run_at=T0, dedupe_key="jobstest.noop:case-1")
    other = enqueue(kind="jobstest.noop", payload={"case_id": 2}, run_at=T0, dedupe_key="jobstest.noop:case-2")
    assert again.pk == first.pk
    assert other.pk != first.pk
    assert Job.objects.count() == 2

    assert run_one(worker_id=WORKER_A, now=T0) == Outcome.DONE
    assert run_one(worker_id=WORKER_A, now=T0) == Outcome.DONE
    later = enqueue(kind="jobstest.noop", payload={"case_id": 1}, run_at=T0, dedupe_key="jobstest.noop:case-1")
    assert later.pk != first.pk, "a finished job frees its key"


def test_a_duplicate_inside_the_callers_transaction_leaves_that_transaction_usable() -> None:
    with transaction.atomic():
        first = enqueue(kind="jobstest.noop", payload={}, dedupe_key="k")
        assert enqueue(kind="jobstest.noop", payload={}, dedupe_key="k").pk == first.pk
        enqueue(kind="jobstest.noop", payload={})
    assert Job.objects.count() == 2


def test_an_atomic_handler_keeps_its_writes_only_with_its_done_mark() -> None:
    ok = enqueue(kind="jobstest.write_then_maybe_fail", payload={}, run_at=T0)
    assert run_one(worker_id=WORKER_A, now=T0) == Outcome.DONE
    assert SentMarker.objects.filter(key=f"written-by-{ok.pk}-1").exists()

    enqueue(kind="jobstest.write_then_maybe_fail", payload={"fail": True}, run_at=T0)
    assert run_one(worker_id=WORKER_A, now=T0) == Outcome.RETRY
    assert SentMarker.objects.count() == 1


def test_an_atomic_handler_keeps_nothing_when_its_lease_was_lost() -> None:
    job = enqueue(kind="jobstest.write_then_maybe_fail", payload={}, run_at=T0)
    slow = claim_next(worker_id=WORKER_A, now=T0)
    assert slow is not None
    assert claim_next(worker_id=WORKER_B, now=T0 + DEFAULT_LEASE * 2) is not None
    assert run_claimed(job=slow, worker_id=WORKER_A) == Outcome.LOST
    assert not SentMarker.objects.exists()
    job.refresh_from_db()
    assert (job.state, job.locked_by) == (JobState.RUNNING, WORKER_B)


@pytest.mark.parametrize("died", ["before the effect", "after the effect"])
def test_a_worker_dying_around_a_side_effect_loses_nothing_and_sends_nothing_twice(died: str) -> None:
    job = enqueue(kind="jobstest.send_once", payload={}, run_at=T0)
    held_by_a = claim_next(worker_id=WORKER_A, now=T0)
    assert held_by_a is not None
    if died == "after the effect":
        handlers.send_once(held_by_a)  # worker A sent, then died before recording "done"
    assert handlers.lines("sent") == ([str(job.pk)] if died == "after the effect" else [])

    assert run_one(worker_id=WORKER_B, now=T0 + DEFAULT_LEASE * 2) == Outcome.DONE
    assert handlers.lines("sent") == [str(job.pk)]
    assert SentMarker.objects.filter(key=job.effect_key("send")).count() == 1


def test_purge_forgets_old_finished_jobs_and_old_job_scoped_markers_only() -> None:
    old = T0 - timedelta(days=100)
    Job.objects.create(kind="jobstest.noop", run_at=old, state=JobState.DONE, finished_at=old)
    Job.objects.create(kind="jobstest.noop", run_at=old, state=JobState.DEAD, finished_at=T0 - timedelta(days=30))
    Job.objects.create(kind="jobstest.noop", run_at=old, state=JobState.FAILED)
    for key, created_at in [("job-1:mail", old), ("job-2:mail", T0), ("publishing.article:7:42", old)]:
        SentMarker.objects.create(key=key, created_at=created_at)
    assert purge_finished(now=T0) == 2
    assert sorted(Job.objects.values_list("state", flat=True)) == [JobState.DEAD, JobState.FAILED]
    assert sorted(SentMarker.objects.values_list("key", flat=True)) == ["job-2:mail", "publishing.article:7:42"]
    assert forget_effects(key_prefix="publishing.article:", older_than=T0) == 1


def test_once_lets_an_effect_through_the_first_time_only() -> None:
    seen = []
    for _ in range(3):
        with once(key="case-42:reminder-1") as first:
            seen.append(first)
    assert seen == [True, False, False]


def _effect_that_fails() -> None:
    with once(key="case-42:reminder-2") as first:
        assert first
        raise ConnectionError


def test_once_forgets_an_effect_whose_block_failed() -> None:
    with pytest.raises(ConnectionError):
        _effect_that_fails()
    with once(key="case-42:reminder-2") as first:
        assert first, "the failed attempt left no marker, so the retry does the effect"


def test_once_refuses_an_empty_or_overlong_key() -> None:
    for key in ("", "x" * 201):
        with pytest.raises(InvalidEffectKey), once(key=key):
            pass
