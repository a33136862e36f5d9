"""Public channel benchmark: the live app against nginx serving the static export of the same site.

1. prepares the app as ``make run`` does (migrate, collectstatic, seed_demo,
   seed_publishing) and starts ``tipline serve`` (granian, the production server);
2. exports the site with ``tipline export-site DIR --base-url`` pointing at a
   throwaway nginx (2 workers, no access log, ``sendfile``) that serves DIR;
3. checks that an English article and the Atom feed answer 200 on both;
4. warms every URL up, then loads each with ``wrk -t2 -c32 -d10s --latency``
   in turn on this machine: the app's article page and feed, then nginx's
   copies of the same two files;
5. accounts for CPU (app or nginx process tree, wrk, kernel networking, other
   processes; approximate at nginx's rates, where the kernel's share of the
   loopback traffic is partly charged to the processes too) and, with the
   server stopped, times the same requests in-process through the app's WSGI
   handler (``bench.public_probe``) to show where the time goes.

``article_ratio`` = app article requests/s ÷ nginx article requests/s; the
target is at least 0.30.
"""

from __future__ import annotations

import argparse
import http.client
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import results, sysstat, wrk
from bench.nginx import StaticNginx
from bench.processes import run_json_module
from bench.server import HOST, AppServer, app_environment, tipline_command
from tipline.testing import free_port

NAME = "public"
TARGET_RATIO = 0.30
FEED_PATH = "/feeds/atom.xml"
NGINX_WORKERS = 2
NOISY = 0.1
QUIET = sysstat.QuietGate(per_wait=20.0, budget=90.0)


@dataclass(frozen=True)
class Settings:
    seconds: int
    warmup_seconds: int
    threads: int
    connections: int
    probe_requests: int


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    port: int
    path: str
    pid: int

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}{self.path}"


class PublishedServer(AppServer):
    """``make run``'s preparation, seed_publishing included, then ``tipline serve``."""

    def _prepare(self) -> None:
        super()._prepare()
        self._manage("seed_publishing")


def export_site(server: AppServer, directory: Path, nginx_port: int) -> None:
    command = [
        *tipline_command(),
        "export-site",
        str(directory),
        "--base-url",
        f"http://{HOST}:{nginx_port}",
        "--live-url",
        f"http://{HOST}:{server.port}",
    ]
    done = subprocess.run(command, env=server.env, capture_output=True, text=True, check=False, timeout=300)
    if done.returncode != 0:
        msg = f"export-site failed:\n{done.stdout}{done.stderr}"
        raise RuntimeError(msg)


def pick_article(export: Path) -> str:
    """The first English article of the export (root language: no prefix), as a URL path."""
    found = sorted(p.parent.name for p in (export / "articles").glob("*/index.html") if p.parent.name.isascii())
    if not found:
        msg = f"the export in {export} has no article"
        raise RuntimeError(msg)
    return f"/articles/{found[0]}/"


def fetch(port: int, path: str) -> dict[str, Any]:
    """One GET (as wrk sends it: no compression, no validators); what came back."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", path, headers={"Host": f"{HOST}:{port}"})
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    return {
        "status": response.status,
        "bytes": len(body),
        "content_type": response.getheader("Content-Type", ""),
        "cache_control": response.getheader("Cache-Control", ""),
        "etag": bool(response.getheader("ETag")),
    }


def kernel_network_seconds() -> float:
    """CPU seconds the kernel spent on interrupts, softirqs and in ``ksoftirqd`` (loopback networking).

    ``/proc/stat`` counts them as busy time but charges them to no benchmark process.
    """
    ticks = os.sysconf("SC_CLK_TCK")
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    total = int(fields[5]) + int(fields[6])
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        if text[text.index("(") + 1 :].startswith("ksoftirqd/"):
            after = text[text.rindex(")") + 2 :].split()
            total += int(after[11]) + int(after[12])
    return total / ticks


def measure(target: Target, options: Settings) -> dict[str, Any]:
    """One wrk run with CPU accounting: the target's process tree, wrk, kernel networking, the rest."""
    waited = QUIET.wait()
    before, kernel = sysstat.snapshot(target.pid), kernel_network_seconds()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = wrk.run(target.url, threads=options.threads, connections=options.connections, seconds=options.seconds)
    after, kernel = sysstat.snapshot(target.pid), kernel_network_seconds() - kernel
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = (children_after.ru_utime + children_after.ru_stime) - (children.ru_utime + children.ru_stime)
    span = after.machine_total - before.machine_total
    busy = after.machine_busy - before.machine_busy
    server_cpu = after.tree - before.tree
    accounted = server_cpu + wrk_cpu + kernel + (after.own - before.own)
    foreign = max(0.0, busy - accounted) / span if span > 0 else 0.0
    out = result.as_dict()
    out.update(
        {
            "server_cpu_seconds": round(server_cpu, 3),
            "server_cpu_us_per_request": round(server_cpu * 1e6 / result.requests, 1) if result.requests else None,
            "wrk_cpu_seconds": round(wrk_cpu, 3),
            "kernel_network_cpu_seconds": round(kernel, 3),
            "machine_busy_fraction": round(busy / span, 3) if span > 0 else None,
            "foreign_cpu_fraction": round(foreign, 3),
            "waited_for_quiet_seconds": round(waited, 1),
        }
    )
    print(
        f"  {target.label:<22} {result.requests_per_s:>10,.0f} req/s  p50 {result.latency_ms.get('p50')} ms"
        f"  p99 {result.latency_ms.get('p99')} ms  errors {result.errors}"
        f"  server CPU {out['server_cpu_us_per_request']} µs/req  other load {foreign:.0%}",
        flush=True,
    )
    return out


def run_probe(env: dict[str, str], paths: dict[str, str], requests: int) -> dict[str, Any]:
    QUIET.wait()
    arguments = ["--requests", str(requests), *paths.values()]
    by_path = run_json_module("bench.public_probe", *arguments, env=env, what="in-process probe", timeout=300)
    return {key: by_path[path] for key, path in paths.items()}


def run(options: Settings, export: Path) -> dict[str, Any]:
    with PublishedServer() as server:
        nginx_port = free_port()
        export_site(server, export, nginx_port)
        article = pick_article(export)
        print(f"  app on 127.0.0.1:{server.port}, export of {article} and {FEED_PATH} in {export}", flush=True)
        with StaticNginx(export, nginx_port, workers=NGINX_WORKERS) as nginx:
            targets = [
                Target("article", "app article", server.port, article, server.pid),
                Target("feed", "app Atom feed", server.port, FEED_PATH, server.pid),
                Target("nginx_article", "nginx article (export)", nginx_port, article, nginx.pid),
                Target("nginx_feed", "nginx Atom feed (export)", nginx_port, FEED_PATH, nginx.pid),
            ]
            responses = {t.key: fetch(t.port, t.path) for t in targets}
            wrong = {k: r["status"] for k, r in responses.items() if r["status"] != 200}
            if wrong:
                msg = f"not every URL answers 200: {wrong}"
                raise RuntimeError(msg)
            for target in targets:
                wrk.run(
                    target.url, threads=options.threads, connections=options.connections, seconds=options.warmup_seconds
                )
            loads = {t.key: measure(t, options) for t in targets}
        server.stop()
        print("  in-process: the same requests through the app's WSGI handler ...", flush=True)
        probe = run_probe(
            app_environment(server.data_dir), {"article": article, "feed": FEED_PATH}, options.probe_requests
        )
    return {"article_path": article, "feed_path": FEED_PATH, "responses": responses, "loads": loads, "probe": probe}


def summarise(measured: dict[str, Any], options: Settings) -> dict[str, Any]:
    loads = measured["loads"]
    rps = {key: loads[key]["requests_per_s"] for key in loads}
    ratio = rps["article"] / rps["nginx_article"] if rps["nginx_article"] else 0.0
    latency = {f"{key}_latency_ms": {p: loads[key]["latency_ms"].get(p) for p in ("p50", "p99")} for key in loads}
    errors = {key: loads[key]["errors"] for key in loads}
    return {
        "article_rps": rps["article"],
        "feed_rps": rps["feed"],
        "nginx_article_rps": rps["nginx_article"],
        "nginx_feed_rps": rps["nginx_feed"],
        "article_ratio": round(ratio, 4),
        "feed_ratio": round(rps["feed"] / rps["nginx_feed"], 4) if rps["nginx_feed"] else None,
        "target_article_ratio": TARGET_RATIO,
        "met": ratio >= TARGET_RATIO,
        **latency,
        "errors": errors,
        "non_2xx": {key: loads[key]["non_2xx_3xx"] for key in loads},
        "max_foreign_cpu_fraction": max(loads[key]["foreign_cpu_fraction"] for key in loads),
        "setup": {
            "load": f"wrk -t{options.threads} -c{options.connections} -d{options.seconds}s --latency",
            "warmup_seconds_per_url": options.warmup_seconds,
            "app": "tipline serve (granian WSGI, workers = cores, 8 blocking threads), SQLite, seed_publishing",
            "nginx": f"nginx {NGINX_WORKERS} workers, access_log off, sendfile, root = tipline export-site output",
            "article_path": measured["article_path"],
            "feed_path": measured["feed_path"],
        },
        "responses": measured["responses"],
        "loads": measured["loads"],
        "in_process": measured["probe"],
    }


def print_summary(data: dict[str, Any]) -> None:
    loads = data["loads"]
    print(f"\nPublic channel — {data['setup']['load']} on {results.machine()['cores']} cores, same run")
    header = ["target", "req/s", "p50 ms", "p99 ms", "errors", "bytes", "server CPU µs/req", "CPU busy", "other load"]
    rows = [
        [
            key,
            entry["requests_per_s"],
            entry["latency_ms"].get("p50"),
            entry["latency_ms"].get("p99"),
            entry["errors"],
            data["responses"][key]["bytes"],
            entry["server_cpu_us_per_request"],
            f"{entry['machine_busy_fraction']:.0%}",
            f"{entry['foreign_cpu_fraction']:.0%}",
        ]
        for key, entry in loads.items()
    ]
    print(results.table(header, rows))
    verdict = "met" if data["met"] else "NOT met"
    print(
        f"article_ratio = {data['article_ratio']:.3f} (target ≥ {TARGET_RATIO}: {verdict}); "
        f"feed_ratio {data['feed_ratio']}"
    )
    for key, probe in data["in_process"].items():
        print(
            f"  in-process {key}: " + ", ".join(f"{k} {v}" for k, v in probe.items() if not isinstance(v, (dict, list)))
        )
    if data["max_foreign_cpu_fraction"] > NOISY:
        print(
            f"WARNING: other processes used up to {data['max_foreign_cpu_fraction']:.0%} of the cores "
            "during a run: rates are lower than on a quiet machine."
        )


def parse(argv: list[str]) -> Settings:
    parser = argparse.ArgumentParser(prog="python -m bench public", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--quick", action="store_true", help="3-second runs, to try the harness")
    options = parser.parse_args(argv)
    return Settings(
        seconds=3 if options.quick else options.seconds,
        warmup_seconds=1 if options.quick else 2,
        threads=2,
        connections=32,
        probe_requests=300 if options.quick else 2000,
    )


def main(argv: list[str]) -> int:
    options = parse(argv)
    began = time.monotonic()
    print("\n[public] preparing the app, the export and nginx ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="tipline-bench-export-") as folder:
        measured = run(options, Path(folder) / "site")
    output: dict[str, Any] = {
        "benchmark": NAME,
        "generated_at": results.now(),
        "machine": results.machine(),
        "app": results.source_version(),
        **summarise(measured, options),
        "waited_for_quiet_seconds": round(QUIET.waited, 1),
        "duration_seconds": round(time.monotonic() - began, 1),
    }
    path = results.write(NAME, output)
    print_summary(output)
    print(f"Wrote {path} in {output['duration_seconds']} s")
    return 1 if any(output["errors"].values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
