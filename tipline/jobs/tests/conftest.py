"""Fixtures for the job queue tests: the test handlers, a trace folder, fixed clocks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tipline.jobs.tests import handlers

T0 = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
WORKER_A = "host:100:aaaaaa"
WORKER_B = "host:200:bbbbbb"


@pytest.fixture(autouse=True)
def trace_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the test handlers append what they did."""
    folder = tmp_path / "trace"
    folder.mkdir()
    monkeypatch.setenv(handlers.OUT_DIR, str(folder))
    return folder
