"""In-process cost of a public page, run in a child process while the server is stopped.

``python -m bench.public_probe --requests N PATH ...`` calls Django's WSGI
handler (``tipline.wsgi.django_application``) with a plain GET environ for each
path, N times after a warm-up, and prints one JSON object: wall and CPU time per
request, the database queries per request, and the time spent in each layer
(every middleware's own share, the URL resolver and view, and the WSGI handler
around them), measured by timing each middleware's call to the next layer. Then
it does the same through ``tipline.wsgi.application``, what granian runs, where
the kept answer is served before Django (``fast_path_*`` keys).
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import django

WARMUP = 50
HOST = "127.0.0.1"


def environ(path: str) -> dict[str, Any]:
    """What granian hands a WSGI app for ``GET path`` from wrk (no compression, no validators)."""
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": HOST,
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": HOST,
        "HTTP_HOST": f"{HOST}:8000",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


class Layers:
    """Wrap each middleware's ``get_response`` to time everything below it."""

    def __init__(self, handler: Any) -> None:
        self.names: list[str] = []
        self.inside: list[float] = []
        layer = handler._middleware_chain
        # convert_exception_to_response keeps the middleware in the closure as ``get_response``.
        while True:
            middleware = _unwrap(layer)
            if middleware is None or not hasattr(middleware, "get_response"):
                break
            index = len(self.names)
            self.names.append(type(middleware).__name__)
            self.inside.append(0.0)
            middleware.get_response = self._timed(middleware.get_response, index)
            layer = middleware.get_response.__wrapped__

    def _timed(self, inner: Callable[[Any], Any], index: int) -> Callable[[Any], Any]:
        def call(request: Any) -> Any:
            began = time.perf_counter()
            try:
                return inner(request)
            finally:
                self.inside[index] = time.perf_counter() - began

        call.__wrapped__ = inner  # type: ignore[attr-defined]
        return call


def _unwrap(layer: Any) -> Any:
    """The middleware instance inside ``convert_exception_to_response``'s wrapper."""
    closure = getattr(layer, "__closure__", None) or ()
    for cell in closure:
        value = cell.cell_contents
        if hasattr(value, "get_response"):
            return value
    return None


def _median_us(values: list[float]) -> float:
    return round(statistics.median(values) * 1e6, 1)


@dataclass
class Timings:
    wall: list[float]
    cpu: list[float]
    queries: int
    size: int
    status: list[str]


def _timed(application: Any, path: str, requests: int, after_each: Callable[[float], None] | None = None) -> Timings:
    """``requests`` GETs of ``path`` after a warm-up: wall and CPU time of each, queries in all."""
    from django.db import connection  # noqa: PLC0415

    status: list[str] = []

    def start_response(value: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        status.append(value)

    def once() -> int:
        body = application(environ(path), start_response)
        size = sum(len(chunk) for chunk in body)
        if hasattr(body, "close"):
            body.close()
        return size

    for _ in range(WARMUP):
        once()
    queries = 0

    def count(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    wall: list[float] = []
    cpu: list[float] = []
    size = 0
    with connection.execute_wrapper(count):
        for _ in range(requests):
            began, cpu_began = time.perf_counter(), time.thread_time()
            size = once()
            elapsed = time.perf_counter() - began
            wall.append(elapsed)
            cpu.append(time.thread_time() - cpu_began)
            if after_each is not None:
                after_each(elapsed)
    return Timings(wall, cpu, queries, size, status)


def measure(application: Any, layers: Layers, path: str, requests: int) -> dict[str, Any]:
    names = ["wsgi_handler_and_" + layers.names[0], *layers.names[1:], "url_resolver_and_view"]
    parts: list[list[float]] = [[] for _ in names]

    def split(elapsed: float) -> None:
        # Each layer's own time: what is below the layer above it, minus what is below it.
        bounds = [elapsed, *layers.inside, 0.0]
        for index in range(len(names)):
            parts[index].append(bounds[index] - bounds[index + 1])

    timings = _timed(application, path, requests, split)
    return {
        "requests": requests,
        "status": sorted(set(timings.status[-requests:])),
        "bytes": timings.size,
        "wall_us_p50": _median_us(timings.wall),
        "wall_us_mean": round(statistics.fmean(timings.wall) * 1e6, 1),
        "cpu_us_p50": _median_us(timings.cpu),
        "queries_per_request": round(timings.queries / requests, 3),
        "layers_us_mean": {name: round(statistics.fmean(v) * 1e6, 1) for name, v in zip(names, parts, strict=True)},
    }


def measure_fast_path(application: Any, path: str, requests: int) -> dict[str, Any]:
    timings = _timed(application, path, requests)
    return {
        "fast_path_wall_us_p50": _median_us(timings.wall),
        "fast_path_cpu_us_p50": _median_us(timings.cpu),
        "fast_path_queries_per_request": round(timings.queries / requests, 3),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.public_probe", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("paths", nargs="+")
    options = parser.parse_args(argv)
    django.setup()
    from django.core.handlers.wsgi import WSGIHandler  # noqa: PLC0415

    from tipline.wsgi import application, django_application  # noqa: PLC0415

    assert isinstance(django_application, WSGIHandler)
    layers = Layers(django_application)  # once: every path goes through the same timed chain
    results = {path: measure(django_application, layers, path, options.requests) for path in options.paths}
    for path in options.paths:
        results[path].update(measure_fast_path(application, path, options.requests))
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
