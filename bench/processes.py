"""What the benchmark's throwaway services (the app, nginx, PostgreSQL) share."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

CHECKOUT = Path(__file__).resolve().parent.parent


class Service(ABC):
    """A service used with ``with``: leaving the block calls ``close``, which undoes the start."""

    @abstractmethod
    def stop(self) -> None:
        """Stop what the service started (safe to call twice)."""

    def close(self) -> None:
        self.stop()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def stop_group(process: subprocess.Popen[bytes] | None, first: signal.Signals, timeout: float) -> None:
    """Stop a process started in its own session, with its children: ``first``, then SIGKILL."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, first)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run_json_module(
    module: str, *args: str, env: Mapping[str, str] | None, what: str, timeout: float | None = None
) -> Any:
    """``python -m module args`` in this checkout: the JSON its last line of output holds."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=CHECKOUT,
        timeout=timeout,
    )
    if done.returncode != 0:
        msg = f"{what} failed:\n{done.stderr[-3000:]}"
        raise RuntimeError(msg)
    return json.loads(done.stdout.strip().splitlines()[-1])
