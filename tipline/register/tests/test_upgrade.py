"""A database made before the register (the report record lived in ``intake`` and ``cases``,
whose migrations depended on each other) migrates forward without losing anything.

The databases in ``legacy/`` were built with the code of that time
(``tools/legacy-fixture/make.sh``): reports with answers, an identity, files, messages
both ways, grants from submission and assignment, an exclusion, a disclosure request,
labels, and their audit trail. Each is restored, migrated with today's code, and opened
in a process of its own as the reporters (with their receipts) and the staff would.
The suite on SQLite checks the SQLite one; the suite on PostgreSQL the PostgreSQL one.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

LEGACY = Path(__file__).parent / "legacy"
# The hourly housekeeping was scheduled under intake's name then.
LEGACY_SCHEDULE = (
    "INSERT INTO jobs_periodicschedule (kind, next_run_at) VALUES ('intake.housekeeping', '2026-11-30 10:00:00+00')"
)


def _pg_bin() -> Path:
    configured = os.environ.get("TIPLINE_TEST_PGBIN")
    return Path(configured) if configured else sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]


@pytest.fixture
def legacy_database(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """(database URL, fixture folder) of a restored legacy database for this suite's vendor."""
    if connection.vendor == "postgresql":
        fixture = LEGACY / "postgresql"
        server = os.environ["TIPLINE_TEST_PG_URL"]
        name = f"tipline_legacy_{uuid.uuid4().hex[:12]}"
        url = f"{server.rsplit('/', 1)[0]}/{name}"
        psql = str(_pg_bin() / "psql")
        subprocess.run([psql, server, "-qc", f"CREATE DATABASE {name}"], check=True)
        subprocess.run(
            [psql, url, "-q", "-v", "ON_ERROR_STOP=1", "-f", str(fixture / "dump.sql")],
            check=True,
            capture_output=True,
        )
        subprocess.run([psql, url, "-qc", LEGACY_SCHEDULE], check=True)
        yield url, fixture
        subprocess.run([psql, server, "-qc", f"DROP DATABASE {name} WITH (FORCE)"], check=True)
    else:
        fixture = LEGACY / "sqlite"
        path = tmp_path / "legacy.sqlite3"
        with sqlite3.connect(path) as restored:
            restored.executescript((fixture / "dump.sql").read_text())
            restored.execute(LEGACY_SCHEDULE)
        yield f"sqlite:///{path}", fixture


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_a_database_from_before_the_register_migrates_and_every_report_still_opens(
    legacy_database: tuple[str, Path], tmp_path: Path
) -> None:
    url, fixture = legacy_database
    manifest = json.loads((fixture / "manifest.json").read_text())
    attachments = tmp_path / "attachments"
    shutil.copytree(fixture / "attachments", attachments)
    env = {
        **os.environ,
        "TIPLINE_DATABASE_URL": url,
        "TIPLINE_DATA_DIR": str(tmp_path),
        "TIPLINE_STORAGE_URL": f"file://{attachments}",
        "TIPLINE_PEPPER": manifest["pepper"],
        "TIPLINE_KDF_COST": manifest["kdf_cost"],
        "TIPLINE_ALLOW_WEAK_KDF": "1",
    }
    _run(["-m", "tipline", "migrate", "--noinput", "-v0"], env)
    _run(["-m", "tipline", "audit", "verify"], env)
    found = json.loads(_run(["-m", "tipline.register.tests.legacy.check", str(fixture / "manifest.json")], env))

    for expected, seen in zip(manifest["reports"], found["reports"], strict=True):
        assert seen["reference"] == expected["reference"]
        assert seen["answers"]["what"] == expected["answers"]["what"]
        assert all(body in seen["messages"] for body in expected["messages"])
        assert seen["files"] == expected["files"]
        assert all(text.split()[-1] in name for name, text in seen["contents"].items())
        assert seen["labels"] == ["roads"]
    references = [r["reference"] for r in manifest["reports"]]
    for name in manifest["handlers"]:  # assigned to every report, and the supervisor holds every key
        assert sorted(found["staff"][name]) == sorted(references)
    # "other" received the channel's reports and was then excluded from the last one.
    assert sorted(found["staff"]["other"]) == sorted(references[:2])
    assert found["identities"] == {references[0]: "Jane Roe, +1 555 0100"}
    assert found["escrow_opens"]
    assert found["tables"]
    # intake_keptupload is new (the kept files of a refused send), not a table moved from the old intake app.
    assert all(table.startswith(("register_", "cases_")) or table == "intake_keptupload" for table in found["tables"])
    assert "register_report" in found["tables"]
    assert found["content_types"] == ["register.report"]
    assert len(found["outcomes"]) == 5
    assert found["schedules"] == ["register.housekeeping"]
    # Why each copy of a key exists, worked out from the data of that time: the escrow copy,
    # the supervisor, the assigned handler, and the channel's recipient.
    assert found["reasons"] == [["escrow", 1], ["handler", 8], ["other", 2], ["supervisor", 4]]
