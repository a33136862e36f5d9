"""``make run`` supervises its job worker as the web server supervises its own workers."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tipline.testing import free_port

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "tools" / "serve-with-worker.sh"


def _workers(session: int) -> list[int]:
    """Job worker processes in the session that the script leads."""
    return _members(session, worker_only=True)


def _members(session: int, *, worker_only: bool = False) -> list[int]:
    """Processes in the session that the script leads (only job workers if asked)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            in_session = os.getsid(int(entry.name)) == session
        except (OSError, ProcessLookupError):
            continue
        is_worker = b"worker" in command and any(part.endswith(b"tipline") for part in command)
        if in_session and (is_worker or not worker_only):
            found.append(int(entry.name))
    return found


def _state(pid: int) -> str:
    """What /proc says of a process that should have gone (zombie, parent), for a failure."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "gone"
    return " ".join(line for line in status.splitlines() if line.startswith(("State", "PPid")))


def _wait_for(check: object, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()  # type: ignore[operator]
        if result:
            return list(result)
        time.sleep(0.2)
    return []


@pytest.fixture
def served(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "BIN": str(Path(sys.executable).parent),
        "TIPLINE_DATA_DIR": str(tmp_path),
        "TIPLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "TIPLINE_STORAGE_URL": f"file://{tmp_path / 'attachments'}",
        "TIPLINE_PORT": str(free_port()),
        "TIPLINE_WORKERS": "1",
        "TIPLINE_WORKER_RESTART_SECONDS": "0.5",
    }
    subprocess.run([sys.executable, "-m", "tipline", "migrate", "-v0"], env=env, check=True)
    process = subprocess.Popen(
        ["bash", str(SCRIPT)],
        env=env,
        cwd=REPO,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_a_job_worker_killed_with_sigkill_is_started_again(served: subprocess.Popen[bytes]) -> None:
    [first] = _wait_for(lambda: _workers(served.pid), 30)
    os.kill(first, signal.SIGKILL)
    again = _wait_for(lambda: [pid for pid in _workers(served.pid) if pid != first], 30)
    assert again, "the worker was not started again"
    assert first not in _workers(served.pid)


def test_stopping_the_script_stops_the_worker_and_the_server(served: subprocess.Popen[bytes]) -> None:
    [worker] = _wait_for(lambda: _workers(served.pid), 30)
    served.send_signal(signal.SIGTERM)
    served.wait(timeout=20)
    assert _wait_for(lambda: [1] if not Path(f"/proc/{worker}").exists() else [], 20), _state(worker)
    assert _wait_for(lambda: [1] if not _members(served.pid) else [], 20), "the web server is still running"


def test_a_stop_while_the_server_is_still_starting_ends(served: subprocess.Popen[bytes]) -> None:
    """systemd and Ctrl-C signal every process at once; a web worker still loading the app
    can then hang in granian, which must kill it after its time-out rather than wait."""
    assert _wait_for(lambda: [pid for pid in _members(served.pid) if _is_web_worker(pid)], 30)
    os.killpg(served.pid, signal.SIGTERM)
    served.wait(timeout=30)
    assert _wait_for(lambda: [1] if not _members(served.pid) else [], 20), "something is still running"


def _is_web_worker(pid: int) -> bool:
    """A granian worker: a granian process whose parent is the granian main process."""
    try:
        parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        return (
            b"granian" in Path(f"/proc/{pid}/cmdline").read_bytes()
            and b"granian" in Path(f"/proc/{parent}/cmdline").read_bytes()
        )
    except (OSError, ValueError, IndexError):
        return False


@pytest.mark.parametrize("delay", [0.0, 0.02, 0.1, 0.3])
def test_a_stop_at_any_moment_of_start_up_leaves_nothing_running(tmp_path: Path, delay: float) -> None:
    """A signal that comes before the script has set its traps, or between starting its
    children, must not end the script and leave a job worker or a server behind."""
    env = {
        **os.environ,
        "BIN": str(Path(sys.executable).parent),
        "TIPLINE_DATA_DIR": str(tmp_path),
        "TIPLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "TIPLINE_STORAGE_URL": f"file://{tmp_path / 'attachments'}",
        "TIPLINE_PORT": str(free_port()),
        "TIPLINE_WORKERS": "1",
    }
    process = subprocess.Popen(
        ["bash", str(SCRIPT)], env=env, cwd=REPO, start_new_session=True, stderr=subprocess.DEVNULL
    )
    try:
        time.sleep(delay)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        assert _wait_for(lambda: [1] if not _members(process.pid) else [], 20), "something is still running"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
