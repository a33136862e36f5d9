"""CPU accounting from /proc: the whole machine, a process tree, and this process.

A process tree's time includes its reaped children (``cutime``/``cstime``),
so the mat2 subprocesses a worker ran are counted with that worker.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class CpuSnapshot:
    machine_busy: float  # seconds of all cores busy
    machine_total: float  # seconds of all cores
    tree: float  # seconds used by the process tree (and its reaped children)
    own: float  # seconds used by this process (every thread)


@dataclass(frozen=True)
class CpuUsage:
    machine_busy_fraction: float
    server_cpu_seconds: float
    loadgen_cpu_seconds: float
    foreign_cpu_fraction: float  # share of all cores used by processes outside the benchmark

    def as_dict(self) -> dict[str, float]:
        return {
            "machine_busy_fraction": round(self.machine_busy_fraction, 3),
            "server_cpu_seconds": round(self.server_cpu_seconds, 3),
            "loadgen_cpu_seconds": round(self.loadgen_cpu_seconds, 3),
            "foreign_cpu_fraction": round(self.foreign_cpu_fraction, 3),
        }


def _machine() -> tuple[float, float]:
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in fields[:8]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values)
    return (total - idle) / _TICKS, total / _TICKS


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: split after it.
    return text[text.rindex(")") + 2 :].split()


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat_fields(int(entry.name))):
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds of ``root`` and its descendants, reaped children included."""
    children = _children()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        fields = _stat_fields(pid)
        if fields is None:
            continue
        total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
        stack.extend(children.get(pid, []))
    return total / _TICKS


def snapshot(server_pid: int) -> CpuSnapshot:
    busy, total = _machine()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return CpuSnapshot(busy, total, tree_cpu_seconds(server_pid), usage.ru_utime + usage.ru_stime)


def usage_between(before: CpuSnapshot, after: CpuSnapshot) -> CpuUsage:
    span = after.machine_total - before.machine_total
    busy_seconds = after.machine_busy - before.machine_busy
    server, own = after.tree - before.tree, after.own - before.own
    if span <= 0:
        return CpuUsage(0.0, server, own, 0.0)
    foreign = max(0.0, busy_seconds - server - own) / span
    return CpuUsage(busy_seconds / span, server, own, foreign)


def busy_fraction(seconds: float) -> float:
    """Share of all cores busy over the next ``seconds``."""
    busy, total = _machine()
    time.sleep(seconds)
    busy_after, total_after = _machine()
    span = total_after - total
    return (busy_after - busy) / span if span > 0 else 0.0


class QuietGate:
    """Wait before each timed step until other processes leave the cores nearly idle.

    Timings taken while something else runs on this small machine are worth
    little, so each step waits up to ``per_wait`` seconds, and the whole run at
    most ``budget`` seconds; the foreign load that could not be avoided is
    reported with each phase instead.
    """

    def __init__(self, *, threshold: float = 0.1, per_wait: float = 20.0, budget: float = 150.0) -> None:
        self.threshold, self.per_wait, self.budget = threshold, per_wait, budget
        self.waited = 0.0

    def wait(self) -> float:
        """Returns the seconds waited this time."""
        began = time.monotonic()
        limit = min(self.per_wait, max(0.0, self.budget - self.waited))
        while limit > 0:
            busy = busy_fraction(0.5)
            if busy <= self.threshold or time.monotonic() - began >= limit:
                break
        waited = time.monotonic() - began
        self.waited += waited
        return waited
