"""Real ``tipline worker`` processes against a real database file or server.

Each backend gets its own freshly migrated database: a SQLite file (always) and a
PostgreSQL database on the test server (``TIPLINE_TEST_PG_URL``, started by
tools/run-tests.sh). The handlers append to trace files, so a job run twice shows up
twice whatever the database says.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import psycopg
import pytest

from tipline.jobs.tests import handlers

HANDLERS = "tipline.jobs.tests.handlers"
# Seconds. Short, for a quick test; two seconds rather than one, so that a renewal (every
# third of the lease) late by a loaded machine's scheduling does not let the other take over.
LEASE = 2
# One Django process per database migrates it, then enqueues jobs through the service on
# request (a JSON line in, the new job ids out), so tests do not pay a start-up each time.
AGENT = """
import json, sys
import django
django.setup()
from django.core.management import call_command
from django.db import transaction
import tipline.jobs.tests.handlers
from tipline.jobs.services import enqueue
call_command("migrate", interactive=False, verbosity=0)
print("ready", flush=True)
for line in sys.stdin:
    kind, count, payload = json.loads(line)
    with transaction.atomic():
        ids = [enqueue(kind=kind, payload=payload).pk for _ in range(count)]
    print("ids", json.dumps(ids), flush=True)
"""


def _postgres_server_url() -> str | None:
    url = os.environ.get("TIPLINE_TEST_PG_URL", "")
    main = os.environ.get("TIPLINE_DATABASE_URL", "")
    return url or (main if main.startswith("postgres") else None)


@dataclass
class WorkerDatabase:
    vendor: str
    url: str
    agent: subprocess.Popen[str] | None = None

    def start_agent(self, folder: Path) -> None:
        self.agent = subprocess.Popen(
            [sys.executable, "-c", AGENT],
            env=_environment(self.url, folder),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._reply("ready")

    def _reply(self, prefix: str) -> str:
        assert self.agent is not None
        assert self.agent.stdout is not None
        for line in self.agent.stdout:
            if line.startswith(prefix):
                return line[len(prefix) :].strip()
        pytest.fail(f"the database agent exited with {self.agent.wait()}")

    def enqueue(self, kind: str, count: int, payload: dict[str, object]) -> list[int]:
        assert self.agent is not None
        assert self.agent.stdin is not None
        self.agent.stdin.write(json.dumps([kind, count, payload]) + "\n")
        self.agent.stdin.flush()
        return [int(pk) for pk in json.loads(self._reply("ids "))]

    def stop_agent(self) -> None:
        if self.agent is None:
            return
        for stream in (self.agent.stdin, self.agent.stdout):
            if stream is not None:
                stream.close()
        try:
            self.agent.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.agent.kill()
            self.agent.wait()

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        if self.vendor == "sqlite":
            with closing(sqlite3.connect(urlsplit(self.url).path, timeout=30)) as lite, lite:
                return lite.execute(sql).fetchall()
        with psycopg.connect(self.url) as pg:
            cursor = pg.execute(sql)
            return cursor.fetchall() if cursor.description else []

    def states(self) -> list[tuple[int, str, int]]:
        """The test jobs (a worker may also run periodic housekeeping meanwhile)."""
        return [(int(pk), str(state), int(attempts)) for pk, state, attempts in self.query(
            "SELECT id, state, attempts FROM jobs_job WHERE kind LIKE 'jobstest.%' ORDER BY id"
        )]  # fmt: skip

    def reset(self) -> None:
        for table in ("jobs_job", "jobs_sentmarker", "jobs_periodicschedule"):
            self.query(f"DELETE FROM {table}")  # noqa: S608 - fixed table names


def _environment(url: str, trace: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tipline.settings",
        "TIPLINE_DATABASE_URL": url,
        handlers.OUT_DIR: str(trace),
        "TIPLINE_LOG_LEVEL": "INFO",
        **extra,
    }


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def worker_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WorkerDatabase]:
    folder = tmp_path_factory.mktemp("worker-db")
    server = None
    if request.param == "sqlite":
        db = WorkerDatabase("sqlite", f"sqlite:///{folder / 'jobs.sqlite3'}")
    else:
        server = _postgres_server_url()
        if server is None:
            pytest.skip("no PostgreSQL server: set TIPLINE_TEST_PG_URL (tools/run-tests.sh starts one)")
        name = f"tipline_jobs_{secrets.token_hex(4)}"
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        db = WorkerDatabase("postgresql", urlsplit(server)._replace(path=f"/{name}").geturl())
    try:
        db.start_agent(folder)
        yield db
    finally:
        db.stop_agent()
        if server is not None:
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE "{urlsplit(db.url).path[1:]}" WITH (FORCE)')


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path
    handle: IO[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=20)


@dataclass
class Workers:
    db: WorkerDatabase
    trace: Path
    started: list[Worker] = field(default_factory=list)

    def start(self, *options: str, **env: str) -> Worker:
        log = self.trace / f"worker-{len(self.started)}.log"
        handle = log.open("wb")
        command = [sys.executable, "-m", "tipline", "worker", "--import", HANDLERS, "--poll", "0.05", *options]
        process = subprocess.Popen(
            command, env=_environment(self.db.url, self.trace, **env), stdout=handle, stderr=subprocess.STDOUT
        )
        worker = Worker(process=process, log=log, handle=handle)
        self.started.append(worker)
        return worker

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                logs = "\n".join(worker.output()[-2000:] for worker in self.started)
                pytest.fail(f"timed out waiting until {what}; worker logs:\n{logs}")
            time.sleep(0.05)

    def wait_until_started(self, *workers: Worker) -> None:
        self.wait_for(lambda: all(" started" in worker.output() for worker in workers), "the workers started")


@pytest.fixture
def workers(worker_db: WorkerDatabase, trace_dir: Path) -> Iterator[Workers]:
    worker_db.reset()
    pool = Workers(db=worker_db, trace=trace_dir)
    yield pool
    for worker in pool.started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait()
        worker.handle.close()


def test_two_workers_never_run_one_job_twice_even_when_one_stops_mid_flight(workers: Workers) -> None:
    a, b = workers.start(), workers.start()
    workers.wait_until_started(a, b)
    workers.db.enqueue("jobstest.record", 200, {"sleep_ms": 5})
    workers.wait_for(lambda: len(handlers.lines("executions")) >= 40, "the workers are busy")
    assert a.stop() == 0, "SIGTERM: worker a finishes the job in hand and exits"
    workers.wait_for(lambda: {state for _, state, _ in workers.db.states()} == {"done"}, "all jobs are done")
    assert b.stop() == 0

    runs = [line.split() for line in handlers.lines("executions")]
    job_ids = [int(job_id) for job_id, _ in runs]
    assert sorted(job_ids) == [pk for pk, _, _ in workers.db.states()], "every job ran exactly once"
    assert len(job_ids) == 200
    assert {int(pid) for _, pid in runs} == {a.pid, b.pid}, "both workers took part"
    assert {(state, attempts) for _, state, attempts in workers.db.states()} == {("done", 1)}


def test_a_worker_killed_mid_job_loses_nothing_and_sends_nothing_twice(workers: Workers) -> None:
    a, b = workers.start("--lease", str(LEASE)), workers.start("--lease", str(LEASE))
    workers.wait_until_started(a, b)
    [job_id] = workers.db.enqueue("jobstest.send_once", 1, {"stall": "after"})
    workers.wait_for(lambda: bool(handlers.lines("reached")), "a worker sent and stalled")
    [doomed] = [worker for worker in (a, b) if handlers.lines("reached") == [str(worker.pid)]]
    time.sleep(2 * LEASE)  # two leases: the busy worker renews its lease, so the other keeps off
    assert workers.db.states() == [(job_id, "running", 1)]

    doomed.process.send_signal(signal.SIGKILL)
    doomed.process.wait(timeout=20)
    workers.wait_for(lambda: workers.db.states()[0][1] == "done", "the other worker redid the job after the lease")
    assert (b if doomed is a else a).stop() == 0
    assert workers.db.states() == [(job_id, "done", 2)]
    assert handlers.lines("sent") == [str(job_id)], "sent once"
    assert handlers.lines("reached") == [str(doomed.pid)]
    assert workers.db.query("SELECT key FROM jobs_sentmarker") == [(f"job-{job_id}:send",)]
