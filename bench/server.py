"""Start Tipline as ``make run`` does, on a fresh data folder and a free port.

``migrate``, ``collectstatic`` and ``seed_demo`` run first, then ``tipline
serve`` (granian, the production server) in its own process group, which is
stopped by its id when the benchmark is done. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from bench.processes import Service, stop_group
from tipline.testing import free_port

HOST = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT_SECONDS = 90.0
STOP_TIMEOUT_SECONDS = 15.0


def tipline_command() -> list[str]:
    """The venv's ``tipline`` script (manage.py), as ``make run`` calls it."""
    script = Path(sys.executable).with_name("tipline")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tipline"]


def app_environment(data_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of the app and of in-process probes: SQLite in ``data_dir``.

    ``PYTHONPATH`` points at the checkout that holds this ``bench`` package, so
    the app measured is the one beside the benchmark, whatever the venv's
    editable install points to.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIPLINE_")}
    env.update(
        {
            "PYTHONPATH": str(REPO_ROOT),
            "DJANGO_SETTINGS_MODULE": "tipline.settings",
            "TIPLINE_DATA_DIR": str(data_dir),
            "TIPLINE_LOG_LEVEL": "WARNING",
            # The benchmarks load the server from a few loopback addresses: the allowances
            # per client would refuse them (they are checked by the tests, not measured here).
            # One count per request is still made, so its cost is in the figures.
            "TIPLINE_SUBMISSIONS_PER_CLIENT": str(10**9),
            "TIPLINE_RECEIPT_ATTEMPTS": str(10**9),
            "TIPLINE_REPLIES_PER_CLIENT": str(10**9),
        }
    )
    env.update(extra or {})
    return env


class AppServer(Service):
    """A running Tipline on a fresh temporary data folder; use as a context manager."""

    def __init__(self, *, env: Mapping[str, str] | None = None, keep_data: bool = False) -> None:
        self.data_dir = Path(tempfile.mkdtemp(prefix="tipline-bench-"))
        self.port = free_port()
        self.env = app_environment(
            self.data_dir, {"TIPLINE_HOST": HOST, "TIPLINE_PORT": str(self.port), **dict(env or {})}
        )
        self.keep_data = keep_data
        self.log_path = self.data_dir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> AppServer:
        try:
            self._prepare()
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        self.stop()
        self.remove_data()

    def _manage(self, *args: str) -> None:
        result = subprocess.run(
            [*tipline_command(), *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            msg = f"tipline {' '.join(args)} failed:\n{result.stdout}{result.stderr}"
            raise RuntimeError(msg)

    def _prepare(self) -> None:
        self._manage("migrate", "--noinput", "-v0")
        self._manage("collectstatic", "--noinput", "-v0")
        self._manage("seed_demo")

    def _start(self) -> None:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [*tipline_command(), "serve"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                msg = f"the server exited with {self.process.returncode}:\n{self.log_tail()}"
                raise RuntimeError(msg)
            if self._answers():
                return
            time.sleep(0.2)
        msg = f"the server did not answer within {READY_TIMEOUT_SECONDS:.0f} s:\n{self.log_tail()}"
        raise RuntimeError(msg)

    def _answers(self) -> bool:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=5)
        try:
            connection.request("GET", "/report/report/")
            response = connection.getresponse()
            response.read()
        except OSError:
            return False
        finally:
            connection.close()
        return response.status == 200

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    @property
    def pid(self) -> int:
        if self.process is None:
            msg = "the server is not running"
            raise RuntimeError(msg)
        return self.process.pid

    def stop(self) -> None:
        """Stop the server's process group (granian and its workers); the data stays."""
        process, self.process = self.process, None
        stop_group(process, signal.SIGTERM, STOP_TIMEOUT_SECONDS)

    def remove_data(self) -> None:
        """Delete the data folder."""
        if not self.keep_data:
            shutil.rmtree(self.data_dir, ignore_errors=True)
