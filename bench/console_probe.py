"""In-process timings of the console queue, run in a child process while the server is stopped.

``python -m bench.console_probe PLAN.json`` logs the two staff members in with
``tipline.accounts.testing.login_staff`` (password, then a TOTP code) and, for
every case of the plan, times:

- the view alone: ``tipline.cases.views.queue`` past its log-in gate, called
  with a ``RequestFactory`` request, a freshly loaded user and the person's
  unlocked private key (what the middleware and the session vault would hand
  it), measuring the selectors, the decryption of the page's subjects, the
  queries and the template;
- the whole request in-process: Django's test ``Client`` through every
  middleware (session, vault, OTP, CSRF), without the HTTP server.

Each query's time is taken with ``connection.execute_wrapper``; the slowest
query of each case is explained (``EXPLAIN QUERY PLAN`` on SQLite,
``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL). One JSON object is printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import django

HOST = "127.0.0.1"
EXPLAIN_ROWS = 25


@dataclass
class QueryLog:
    """Durations of the queries run inside ``timing``, by position in the request."""

    runs: list[list[tuple[str, Any, float]]] = field(default_factory=list)
    current: list[tuple[str, Any, float]] = field(default_factory=list)

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.current.append((sql, params, time.perf_counter() - began))

    @contextmanager
    def timing(self) -> Iterator[None]:
        from django.db import connection  # noqa: PLC0415

        self.current = []
        with connection.execute_wrapper(self):
            yield
        self.runs.append(self.current)


def _ms(values: list[float]) -> list[float]:
    return [round(v * 1000, 3) for v in values]


def _summary(log: QueryLog) -> dict[str, Any]:
    """Query count, DB time per run, and the queries that cost most (median over runs)."""
    if not log.runs:
        return {}
    by_position: dict[int, list[float]] = {}
    for run in log.runs:
        for position, (_, _, seconds) in enumerate(run):
            by_position.setdefault(position, []).append(seconds)
    last = log.runs[-1]
    ranked = sorted(by_position, key=lambda p: statistics.median(by_position[p]), reverse=True)
    top = [
        {"median_ms": round(statistics.median(by_position[p]) * 1000, 3), "sql": last[p][0][:600]}
        for p in ranked[:3]
        if p < len(last)
    ]
    slowest = last[ranked[0]] if ranked and ranked[0] < len(last) else None
    return {
        "queries": statistics.median(len(run) for run in log.runs),
        "db_ms": _ms([sum(s for _, _, s in run) for run in log.runs]),
        "slowest_queries": top,
        "explain_slowest": _explain(slowest[0], slowest[1]) if slowest else [],
    }


def _explain(sql: str, params: Any) -> list[str]:
    from django.db import connection  # noqa: PLC0415

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        rows = cursor.fetchall()
    if connection.vendor == "sqlite":
        return [f"{row[0]}<-{row[1]} {row[-1]}" for row in rows][:EXPLAIN_ROWS]
    return [str(row[0]) for row in rows][:EXPLAIN_ROWS]


class Probe:
    def __init__(self, plan: dict[str, Any]) -> None:
        from django.test import Client, RequestFactory  # noqa: PLC0415
        from django.test.utils import setup_test_environment, teardown_test_environment  # noqa: PLC0415

        from tipline.accounts import services as accounts  # noqa: PLC0415
        from tipline.accounts.models import StaffUser  # noqa: PLC0415
        from tipline.accounts.testing import login_staff  # noqa: PLC0415
        from tipline.cases import views  # noqa: PLC0415

        self.plan = plan
        self.factory = RequestFactory(HTTP_HOST=HOST)
        # What the session vault hands the view: the person's unlocked private key, so that
        # the view alone decrypts the page's subjects as the whole request does.
        self.private_keys = {
            role: accounts.unlock_private_key(user=StaffUser.objects.get(pk=login["pk"]), password=login["password"])
            for role, login in plan["logins"].items()
        }
        # The view past staff_required: handles_case_errors(queue)(request, private_key).
        self.view = views.queue.__wrapped__  # type: ignore[attr-defined]
        self.clients: dict[str, Any] = {}
        setup_test_environment()  # login_staff reads the CSRF token from the response context
        try:
            for role, login in plan["logins"].items():
                client = Client(HTTP_HOST=HOST)
                login_staff(client, login["username"], login["password"])
                self.clients[role] = client
        finally:
            teardown_test_environment()  # no template instrumentation while timing

    def view_once(self, role: str, user_id: int, query: str) -> tuple[float, int]:
        from django.contrib.messages.storage.fallback import FallbackStorage  # noqa: PLC0415
        from django.contrib.sessions.backends.db import SessionStore  # noqa: PLC0415

        from tipline.accounts.models import StaffUser  # noqa: PLC0415

        request = self.factory.get(f"/console/?{query}" if query else "/console/")
        request.user = StaffUser.objects.get(pk=user_id)  # what AuthenticationMiddleware loads
        request.session = SessionStore()
        request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
        began = time.perf_counter()
        response = self.view(request, self.private_keys[role])
        elapsed = time.perf_counter() - began
        return elapsed, response.status_code

    def request_once(self, role: str, query: str) -> tuple[float, int]:
        client = self.clients[role]
        began = time.perf_counter()
        response = client.get("/console/", QUERY_STRING=query)
        return time.perf_counter() - began, response.status_code

    def case(self, role: str, case: dict[str, Any], repeat: int, warmup: int) -> dict[str, Any]:
        user_id = int(self.plan["logins"][role]["pk"])
        queries = case["queries"]
        for i in range(warmup):
            self.view_once(role, user_id, queries[i % len(queries)])
            self.request_once(role, queries[i % len(queries)])
        log = QueryLog()
        view_times: list[float] = []
        request_times: list[float] = []
        statuses: set[int] = set()
        for i in range(repeat):
            query = queries[i % len(queries)]
            with log.timing():
                seconds, status = self.view_once(role, user_id, query)
            view_times.append(seconds)
            statuses.add(status)
            seconds, status = self.request_once(role, query)
            request_times.append(seconds)
            statuses.add(status)
        return {
            "view_ms": _ms(view_times),
            "request_ms": _ms(request_times),
            "statuses": sorted(statuses),
            **_summary(log),
        }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.console_probe", description=__doc__.splitlines()[0])
    parser.add_argument("plan", type=Path)
    options = parser.parse_args(argv)
    plan = json.loads(options.plan.read_text())
    django.setup()
    from django.db import connection  # noqa: PLC0415

    from tipline.cases.views import PAGE_SIZE  # noqa: PLC0415

    probe = Probe(plan)
    out: dict[str, Any] = {"database": connection.vendor, "page_size": PAGE_SIZE}
    for role in plan["logins"]:
        out[role] = {
            case["key"]: probe.case(role, case, int(case["repeat"]), int(plan["warmup"])) for case in plan["cases"]
        }
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
