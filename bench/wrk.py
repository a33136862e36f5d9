"""Run ``wrk`` against one URL for a fixed time and read its report.

wrk counts a response as an error when its status is 400 or more ("Non-2xx
or 3xx responses"); callers check beforehand that the URL answers 200, so a
redirect cannot pass for a page.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from typing import Any

GRACE_SECONDS = 30
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_SIZES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


@dataclass(frozen=True)
class WrkResult:
    url: str
    threads: int
    connections: int
    duration_seconds: float
    requests: int
    requests_per_s: float
    transfer_bytes_per_s: float
    latency_ms: dict[str, float] = field(default_factory=dict)  # avg, stdev, max, p50, p75, p90, p99
    non_2xx_3xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + sum(self.socket_errors.values())

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "errors": self.errors}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        msg = f"unexpected wrk duration {text!r}"
        raise ValueError(msg)
    return round(float(match.group(1)) * _UNITS[match.group(2)], 3)


def _bytes(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(B|KB|MB|GB)", text.strip())
    return float(match.group(1)) * _SIZES[match.group(2)] if match else 0.0


def parse(output: str, *, url: str, threads: int, connections: int) -> WrkResult:
    """Read wrk 4's text report (run with ``--latency``)."""
    rate = re.search(r"Requests/sec:\s*([\d.]+)", output)
    total = re.search(r"(\d+) requests in ([\d.]+\w+),", output)
    if not rate or not total:
        msg = f"could not read wrk's report:\n{output}"
        raise ValueError(msg)
    latency: dict[str, float] = {}
    if line := re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", output):
        latency.update(avg=_ms(line.group(1)), stdev=_ms(line.group(2)), max=_ms(line.group(3)))
    for pct, value in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", output, re.MULTILINE):
        latency[f"p{pct}"] = _ms(value)
    sockets: dict[str, int] = {}
    if errors := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        sockets = dict(zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    transfer = re.search(r"Transfer/sec:\s*(\S+)", output)
    return WrkResult(
        url=url,
        threads=threads,
        connections=connections,
        duration_seconds=_ms(total.group(2)) / 1000,
        requests=int(total.group(1)),
        requests_per_s=float(rate.group(1)),
        transfer_bytes_per_s=_bytes(transfer.group(1)) if transfer else 0.0,
        latency_ms=latency,
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sockets,
    )


def run(url: str, *, threads: int = 2, connections: int = 32, seconds: int = 10) -> WrkResult:
    """``wrk -tT -cC -dDs --latency URL``, killed if it overruns by ``GRACE_SECONDS``."""
    binary = shutil.which("wrk")
    if binary is None:
        msg = "wrk is not installed (Debian package wrk)"
        raise RuntimeError(msg)
    command = [binary, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency", url]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + GRACE_SECONDS, check=False)
    if completed.returncode != 0:
        msg = f"wrk failed ({completed.returncode}): {completed.stderr}{completed.stdout}"
        raise RuntimeError(msg)
    return parse(completed.stdout, url=url, threads=threads, connections=connections)
