from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tipline.jobs.models import Job, JobState
from tipline.jobs.services import enqueue
from tipline.jobs.tests import handlers

pytestmark = pytest.mark.django_db


def test_worker_once_runs_the_due_jobs_and_leaves_the_rest() -> None:
    now = timezone.now()
    due = [enqueue(kind="jobstest.record", payload={}, run_at=now - timedelta(seconds=n)) for n in range(3)]
    later = enqueue(kind="jobstest.record", payload={}, run_at=now + timedelta(hours=1))
    call_command("worker", "--once")
    assert sorted(int(line.split()[0]) for line in handlers.lines("executions")) == sorted(job.pk for job in due)
    assert set(Job.objects.filter(kind="jobstest.record").values_list("pk", "state")) == {
        *((job.pk, JobState.DONE) for job in due),
        (later.pk, JobState.QUEUED),
    }


def test_worker_once_imports_handler_modules_given_on_the_command_line() -> None:
    enqueue(kind="jobstest.noop", payload={})
    call_command("worker", "--once", "--import", "tipline.jobs.tests.handlers")
    assert Job.objects.get().state == JobState.DONE


@pytest.mark.parametrize("option", [["--lease", "0"], ["--poll", "-1"], ["--lease", "soon"]])
def test_worker_refuses_nonsense_timings(option: list[str]) -> None:
    with pytest.raises(CommandError):
        call_command("worker", "--once", *option)
