"""Jobs that gave up: seen in the admin and the console command, and run again on request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from tipline.accounts.testing import login_staff
from tipline.audit.models import AuditEntry
from tipline.conftest import PASSWORD, Setup, csrf_token
from tipline.jobs.models import Job, JobState
from tipline.jobs.services import Outcome, enqueue, retry_now, run_one
from tipline.jobs.tests.conftest import T0, WORKER_A

pytestmark = pytest.mark.django_db


def dead_job(kind: str = "jobstest.gone", **options: object) -> Job:
    job = enqueue(kind=kind, payload={"case_id": 3}, run_at=T0, **options)  # type: ignore[arg-type]
    assert run_one(worker_id=WORKER_A, now=T0) == Outcome.DEAD
    job.refresh_from_db()
    return job


def test_a_dead_job_runs_again_with_fresh_attempts_and_the_retry_is_audited() -> None:
    job = dead_job()
    later = T0 + timedelta(hours=2)
    outcome = retry_now(job_ids=[job.pk], now=later, actor=None, via="command")
    assert outcome.queued == (job.pk,)
    job.refresh_from_db()
    assert (job.state, job.attempts, job.run_at, job.finished_at) == (JobState.QUEUED, 0, later, None)
    assert "CaseGone" in job.last_error  # kept until the next attempt says otherwise
    entry = AuditEntry.objects.get(action="jobs.retried")
    assert entry.detail == {"jobs": [job.pk], "via": "command"}
    assert entry.actor_name == "system"

    assert run_one(worker_id=WORKER_A, now=later) == Outcome.DEAD  # the cause is not fixed: dead again
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.DEAD, 1)


def test_a_retried_job_whose_cause_is_gone_completes() -> None:
    # As a job whose worker crashed on every attempt is left; the crashes have since been fixed.
    job = Job.objects.create(kind="jobstest.noop", run_at=T0, state=JobState.DEAD, attempts=5, finished_at=T0)
    assert retry_now(job_ids=[job.pk], now=T0, actor=None, via="command").queued == (job.pk,)
    assert run_one(worker_id=WORKER_A, now=T0) == Outcome.DONE
    job.refresh_from_db()
    assert job.state == JobState.DONE


def test_a_failed_job_waiting_for_its_backoff_can_be_run_now() -> None:
    job = enqueue(kind="jobstest.boom", payload={}, run_at=T0)
    assert run_one(worker_id=WORKER_A, now=T0) == Outcome.RETRY
    job.refresh_from_db()
    assert job.run_at > T0
    assert retry_now(job_ids=[job.pk], now=T0, actor=None, via="command").queued == (job.pk,)
    job.refresh_from_db()
    assert (job.state, job.run_at, job.attempts) == (JobState.QUEUED, T0, 0)


def test_only_dead_or_failed_jobs_are_touched() -> None:
    waiting = enqueue(kind="jobstest.noop", payload={}, run_at=T0 + timedelta(days=1))
    done = enqueue(kind="jobstest.noop", payload={}, run_at=T0)
    assert run_one(worker_id=WORKER_A, now=T0) == Outcome.DONE
    outcome = retry_now(job_ids=[waiting.pk, done.pk, 999_999], now=T0, actor=None, via="command")
    assert outcome.queued == ()
    assert outcome.not_retryable == tuple(sorted([waiting.pk, done.pk, 999_999]))
    assert Job.objects.get(pk=waiting.pk).run_at == T0 + timedelta(days=1)
    assert Job.objects.get(pk=done.pk).state == JobState.DONE
    assert not AuditEntry.objects.filter(action="jobs.retried").exists()


def test_a_dead_job_is_left_alone_while_another_does_the_same_work() -> None:
    dead = dead_job(dedupe_key="jobstest.gone:3")
    active = enqueue(kind="jobstest.gone", payload={"case_id": 3}, run_at=T0, dedupe_key="jobstest.gone:3")
    assert active.pk != dead.pk
    outcome = retry_now(job_ids=[dead.pk], now=T0, actor=None, via="command")
    assert (outcome.queued, outcome.already_active) == ((), (dead.pk,))
    dead.refresh_from_db()
    assert dead.state == JobState.DEAD


# ---------------------------------------------------------------- the console command


def test_the_command_lists_dead_jobs_and_counts_every_state(capsys: pytest.CaptureFixture[str]) -> None:
    job = dead_job()
    enqueue(kind="jobstest.noop", payload={}, run_at=T0 + timedelta(days=1))
    call_command("jobs")
    out = capsys.readouterr().out
    assert "queued: 1" in out
    assert "dead: 1" in out
    assert f"{job.pk}\tjobstest.gone\t1/5\t" in out
    assert "CaseGone" in out


def test_the_command_retries_by_id_or_every_dead_job(capsys: pytest.CaptureFixture[str]) -> None:
    first, second = dead_job(), dead_job()
    call_command("jobs", "retry", str(first.pk))
    assert f"queued to run now: {first.pk}" in capsys.readouterr().out
    assert Job.objects.get(pk=second.pk).state == JobState.DEAD
    call_command("jobs", "retry", "--all-dead")
    assert f"queued to run now: {second.pk}" in capsys.readouterr().out
    assert not Job.objects.filter(state=JobState.DEAD).exists()
    call_command("jobs", "retry", "--all-dead")
    assert "No dead jobs." in capsys.readouterr().out


def test_the_command_refuses_unclear_requests() -> None:
    job = dead_job()
    with pytest.raises(CommandError, match="one or the other"):
        call_command("jobs", "retry")
    with pytest.raises(CommandError, match="one or the other"):
        call_command("jobs", "retry", str(job.pk), "--all-dead")
    with pytest.raises(CommandError, match="go with 'retry'"):
        call_command("jobs", "list", str(job.pk))
    with pytest.raises(CommandError, match="no job was queued"):
        call_command("jobs", "retry", "424242")


def test_the_check_fails_while_a_job_is_dead(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("jobs", "check")
    assert "No dead jobs." in capsys.readouterr().out
    dead_job()
    with pytest.raises(CommandError, match="1 dead job") as raised:
        call_command("jobs", "check")
    assert raised.value.returncode == 1


# ---------------------------------------------------------------- the admin


def test_the_admin_is_warned_of_dead_jobs_and_runs_them_again(org: Setup, client: Client) -> None:
    job = dead_job()
    login_staff(client, "admin", PASSWORD)
    index = client.get(reverse("admin:index"))
    assert "1 background job has given up after its retries." in index.content.decode()
    changelist = reverse("admin:jobs_job_changelist")
    listing = client.get(changelist, {"state__exact": "dead"})
    assert listing.status_code == 200
    assert "jobstest.gone" in listing.content.decode()
    assert "CaseGone" in listing.content.decode()

    token = csrf_token(client, changelist)
    response = client.post(
        changelist,
        {"action": "run_again_now", "_selected_action": [str(job.pk)], "csrfmiddlewaretoken": token},
        follow=True,
    )
    assert "1 job queued to run now." in response.content.decode()
    job.refresh_from_db()
    assert job.state == JobState.QUEUED
    entry = AuditEntry.objects.get(action="jobs.retried")
    assert (entry.actor_name, entry.detail) == ("admin", {"jobs": [job.pk], "via": "admin"})
    assert "given up" not in client.get(reverse("admin:index")).content.decode()


def test_the_admin_cannot_add_edit_or_delete_jobs(org: Setup, client: Client) -> None:
    job = dead_job()
    login_staff(client, "admin", PASSWORD)
    assert client.get(reverse("admin:jobs_job_add")).status_code == 403
    detail = client.get(reverse("admin:jobs_job_change", args=[job.pk]))
    assert detail.status_code == 200  # shown read-only
    assert 'name="kind"' not in detail.content.decode()
    assert client.get(reverse("admin:jobs_job_delete", args=[job.pk])).status_code == 403


def test_other_staff_see_no_jobs(org: Setup, client: Client) -> None:
    dead_job()
    login_staff(client, "supervisor", PASSWORD)
    response = client.get(reverse("admin:jobs_job_changelist"))
    assert response.status_code == 302
    assert "/staff/login/" in response["Location"] or "/admin/login/" in response["Location"]
