"""Job handlers for the tests, registered on import: in-process, and in worker
subprocesses through ``tipline worker --import tipline.jobs.tests.handlers``.

Handlers that leave a trace append lines to files in ``$TIPLINE_TEST_JOBS_DIR``: an
append of one short line is a single ``write`` on an ``O_APPEND`` file, so lines from
two processes never mix, and a job that ran twice shows up twice.
"""

from __future__ import annotations

import os
import time
from datetime import time as clock
from pathlib import Path

from tipline.jobs.exceptions import PermanentJobError
from tipline.jobs.models import Job, SentMarker
from tipline.jobs.registry import job_handler, periodic
from tipline.jobs.services import once

OUT_DIR = "TIPLINE_TEST_JOBS_DIR"
SECRET = "the mayor took cash from a builder"


class CaseGone(PermanentJobError):
    pass


def out_file(name: str) -> Path:
    return Path(os.environ[OUT_DIR]) / name


def append_line(name: str, line: str) -> None:
    fd = os.open(out_file(name), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, f"{line}\n".encode())
    finally:
        os.close(fd)


def lines(name: str) -> list[str]:
    path = out_file(name)
    return path.read_text().splitlines() if path.exists() else []


@job_handler("jobstest.noop")
def noop(job: Job) -> None:
    pass


@job_handler("jobstest.boom")
def boom(job: Job) -> None:
    raise ValueError(SECRET)


@job_handler("jobstest.gone")
def gone(job: Job) -> None:
    raise CaseGone(SECRET)


@job_handler("jobstest.write_then_maybe_fail", atomic=True)
def write_then_maybe_fail(job: Job) -> None:
    SentMarker.objects.create(key=f"written-by-{job.pk}-{job.attempts}")
    if job.payload.get("fail"):
        raise ValueError(SECRET)


@job_handler("jobstest.record")
def record(job: Job) -> None:
    time.sleep(job.payload.get("sleep_ms", 0) / 1000)
    append_line("executions", f"{job.pk} {os.getpid()}")


@job_handler("jobstest.send_once")
def send_once(job: Job) -> None:
    """Sends (appends to ``sent``) at most once, whatever the attempt; ``stall`` names
    where the first attempt hangs so a test can kill its worker there."""
    stall = job.payload.get("stall", "")
    if stall == "before" and job.attempts == 1:
        _stall()
    with once(key=job.effect_key("send")) as first:
        if first:
            append_line("sent", str(job.pk))
    if stall == "after" and job.attempts == 1:
        _stall()


def _stall() -> None:
    append_line("reached", str(os.getpid()))
    time.sleep(float(os.environ.get("TIPLINE_TEST_STALL_SECONDS", "60")))


@periodic("jobstest.berlin_morning", daily_at=clock(2, 30), tz="Europe/Berlin")
def berlin_morning(job: Job) -> None:
    pass
