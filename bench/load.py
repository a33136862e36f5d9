"""Bounded closed-loop load: N virtual users, each doing a fixed number of actions.

Every user is prepared (cookies, CSRF token, pre-built body) before the clock
starts; the timed phase then only sends requests. A phase ends when each user
has done its share, or, as a safety bound, when ``max_seconds`` have passed
(no new action starts after that). Throughput is successful actions divided
by the time from the common start to the last completion.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

User = TypeVar("User")

# An action returns None on success or a short description of what went wrong.
Action = Callable[[User], "str | None"]

MAX_ERROR_SAMPLES = 5


@dataclass
class PhaseResult:
    concurrency: int
    planned: int
    ok: int = 0
    errors: int = 0
    seconds: float = 0.0
    truncated: bool = False
    latencies: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies)
        result: dict[str, Any] = {
            "concurrency": self.concurrency,
            "planned": self.planned,
            "completed": self.ok,
            "errors": self.errors,
            "seconds": round(self.seconds, 3),
            "per_s": round(self.per_second, 3),
            "p50_ms": _ms(percentile(lat, 50)),
            "p90_ms": _ms(percentile(lat, 90)),
            "p99_ms": _ms(percentile(lat, 99)),
            "max_ms": _ms(lat[-1] if lat else None),
            "mean_ms": _ms(statistics.fmean(lat) if lat else None),
            "truncated_by_time_bound": self.truncated,
        }
        if self.error_samples:
            result["error_samples"] = self.error_samples
        result.update(self.extra)
        return result


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def percentile(ordered: Sequence[float], pct: float) -> float | None:
    """Linear interpolation between closest ranks (``ordered`` must be sorted)."""
    if not ordered:
        return None
    position = (len(ordered) - 1) * pct / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class _Phase(Generic[User]):
    def __init__(self, users: Sequence[User], per_user: int, max_seconds: float) -> None:
        self.users, self.per_user, self.max_seconds = users, per_user, max_seconds
        self.result = PhaseResult(concurrency=len(users), planned=len(users) * per_user)
        self.lock = threading.Lock()
        self.barrier = threading.Barrier(len(users) + 1)
        self.start = 0.0
        self.last_end = 0.0

    def worker(self, user: User, action: Action[User]) -> None:
        self.barrier.wait()
        deadline = self.start + self.max_seconds
        for _ in range(self.per_user):
            began = time.perf_counter()
            if began > deadline:
                with self.lock:
                    self.result.truncated = True
                return
            try:
                problem = action(user)
            except Exception as error:
                problem = f"{type(error).__name__}: {error}"
            ended = time.perf_counter()
            with self.lock:
                self.last_end = max(self.last_end, ended)
                if problem is None:
                    self.result.ok += 1
                    self.result.latencies.append(ended - began)
                else:
                    self.result.errors += 1
                    if len(self.result.error_samples) < MAX_ERROR_SAMPLES:
                        self.result.error_samples.append(problem[:300])


def run_phase(
    users: Sequence[User],
    per_user: int,
    action: Action[User],
    *,
    max_seconds: float,
) -> PhaseResult:
    """Run ``action`` ``per_user`` times for every user, all users at once."""
    phase = _Phase(users, per_user, max_seconds)
    threads = [threading.Thread(target=phase.worker, args=(user, action), daemon=True) for user in users]
    for thread in threads:
        thread.start()
    phase.start = time.perf_counter()
    phase.barrier.wait()
    for thread in threads:
        thread.join()
    phase.result.seconds = max(phase.last_end - phase.start, 0.0)
    phase.result.latencies.sort()
    return phase.result
