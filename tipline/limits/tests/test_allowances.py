"""Allowances per client, then a shared overflow, held across processes (issue 11)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tipline.limits import services as limits
from tipline.limits.models import Allowance

POLICY = limits.Policy(scope="test", per_client=3, overflow=2, window=3600)
NOW = 1_800_000_000.0  # a fixed moment inside one window


def _admitted(tag: str, times: int, now: float = NOW) -> list[bool]:
    return [limits.admit(POLICY, client_tag=tag, now=now) is not None for _ in range(times)]


def test_a_client_past_its_allowance_goes_on_only_while_the_overflow_lasts(db: None) -> None:
    assert _admitted("busy-exit", 7) == [True] * 5 + [False] * 2
    assert limits.used(POLICY, client_tag="busy-exit", now=NOW) == (3, 2)
    # Another client still has its own allowance, whatever the overflow says...
    assert _admitted("elsewhere", 4) == [True] * 3 + [False]
    # ...and a refusal used nothing.
    assert limits.used(POLICY, client_tag="elsewhere", now=NOW) == (3, 2)


def test_a_new_window_starts_every_allowance_again(db: None) -> None:
    assert _admitted("tag", 6) == [True] * 5 + [False]
    assert _admitted("tag", 1, now=NOW + POLICY.window) == [True]


def test_a_use_given_back_can_be_taken_again(db: None) -> None:
    grants = [limits.admit(POLICY, client_tag="tag", now=NOW) for _ in range(5)]
    assert all(grants)
    assert limits.admit(POLICY, client_tag="tag", now=NOW) is None
    limits.give_back(grants[-1])  # an overflow use
    assert limits.admit(POLICY, client_tag="tag", now=NOW) is not None


def test_clients_are_counted_in_buckets_so_no_row_singles_one_out(db: None, settings: object) -> None:
    """With 64 buckets, 200 clients fill at most 64 rows: each row stands for many clients."""
    settings.TIPLINE_LIMIT_BUCKETS = 64  # type: ignore[attr-defined]
    policy = limits.Policy(scope="buckets", per_client=1000, overflow=0, window=3600)
    for number in range(200):
        assert limits.admit(policy, client_tag=f"client-{number}", now=NOW) is not None
    assert 32 < Allowance.objects.count() <= 64
    assert sum(Allowance.objects.values_list("count", flat=True)) == 200


def test_clients_that_are_not_addresses_can_be_counted_each_alone(db: None, settings: object) -> None:
    """Two tags in one bucket share its allowance, unless the policy counts each alone."""
    settings.TIPLINE_LIMIT_BUCKETS = 2  # type: ignore[attr-defined]
    first = "staff-1"
    second = next(f"staff-{n}" for n in range(2, 100) if limits._bucket(f"staff-{n}") == limits._bucket(first))
    shared = limits.Policy(scope="shared", per_client=1, overflow=0, window=3600)
    alone = limits.Policy(scope="alone", per_client=1, overflow=0, window=3600, bucketed=False)
    assert limits.admit(shared, client_tag=first, now=NOW) is not None
    assert limits.admit(shared, client_tag=second, now=NOW) is None, "one bucket, one allowance"
    assert limits.admit(alone, client_tag=first, now=NOW) is not None
    assert limits.admit(alone, client_tag=second, now=NOW) is not None
    assert limits.admit(alone, client_tag=second, now=NOW) is None
    assert limits.used(alone, client_tag=second, now=NOW) == (1, 0)


def test_no_tag_is_stored_and_ended_windows_are_forgotten(db: None) -> None:
    _admitted("visible-tag-123", 1)
    assert not Allowance.objects.filter(digest__contains="visible").exists()
    ended = datetime.fromtimestamp(NOW, tz=UTC).replace(year=2030)
    assert limits.forget_ended(now=ended) == 1
    assert not Allowance.objects.exists()


COUNTER = """
import os, sys, django
os.environ["DJANGO_SETTINGS_MODULE"] = "tipline.settings"
django.setup()
from tipline.limits import services as limits
policy = limits.Policy(scope="processes", per_client=7, overflow=4, window=3600)
print(sum(limits.admit(policy, client_tag="one-client", now=1_800_000_000.0) is not None for _ in range(10)))
"""


@pytest.fixture
def shared_database(tmp_path: Path) -> Iterator[str]:
    """A database of its own (the suite's may live in one process's memory), migrated."""
    if connection.vendor == "postgresql":
        server = os.environ["TIPLINE_TEST_PG_URL"]
        name = f"tipline_limits_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        url = f"{server.rsplit('/', 1)[0]}/{name}"
    else:
        url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    env = {**os.environ, "TIPLINE_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "tipline", "migrate", "limits", "-v0"], env=env, check=True)
    yield url
    if connection.vendor == "postgresql":
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_processes_that_share_no_memory_share_one_allowance(shared_database: str, tmp_path: Path) -> None:
    """Three processes, each with a memory folder of its own: the database is all they share."""
    processes = []
    for number in range(3):
        folder = tmp_path / f"shm{number}"
        folder.mkdir()
        env = {**os.environ, "TIPLINE_DATABASE_URL": shared_database, "TIPLINE_KDF_SLOTS": "0"}
        processes.append(subprocess.Popen([sys.executable, "-c", COUNTER], env=env, stdout=subprocess.PIPE, text=True))
    counts = []
    for process in processes:
        out, _ = process.communicate(timeout=120)
        assert process.returncode == 0
        counts.append(int(out.strip()))
    assert sum(counts) == 7 + 4, counts
