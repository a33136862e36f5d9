"""Intake benchmark: web submissions, receipt log-in and the Argon2id limit.

For each KDF profile (the production minimum ``t=3,m=64M`` and the strong
``t=16,m=128M``) this:

1. times one Argon2id derivation (``tipline.crypto.kdf.derive``) in a child
   process (seven in a row, and the rate of one derivation per core), before
   the load and again right after the phase without a file (the server
   idle); one derivation's time is the median CPU time of all fourteen, which
   equals the wall time on an idle core;
2. starts the app as ``make run`` does (fresh data folder, SQLite, granian);
3. warms it up and collects a few receipts;
4. measures web submissions at concurrency 1 and 16, with 2 KB of answers and
   no file, then with one 1 MiB JPEG (a type mat2 cleans), and receipt log-in;
5. stops the server, checks that every acknowledged report was stored (and no
   file was held back uncleaned), and times the file stages and the service
   call in-process.

``kdf_limit_ratio`` = submissions/s at concurrency 16 without a file divided
by ``cores / argon2_seconds``; the target is 0.85.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import secrets
import signal
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bench import load, results, sysstat
from bench.processes import run_json_module
from bench.server import HOST, AppServer, app_environment
from bench.webclient import (
    FilePart,
    Response,
    WebClient,
    input_value,
    multipart,
    text_of,
    urlencoded,
)

NAME = "intake"
FORM_PATH = "/report/report/"
RECEIPT_PATH = "/receipt/"
LOGIN_PATH = "/portal/"
PORTAL_PATH = "/portal/report/"
CSRF_COOKIE = "csrftoken"

# The target: submissions per second against pure parallel Argon2id measured in the same run
# (which removes the host's day from the figure). kdf_limit_ratio (against cores ÷ one
# derivation) is still reported.
TARGET_RATIO = 0.90
RATIO_CASE = "no_file"  # the ratios are taken from this case at concurrency 16
CONCURRENCIES = (1, 16)
PROFILES = {"default": "t=3,m=64M", "strong": "t=16,m=128M"}
ANSWER_BYTES = 2048
FILE_BYTES = 1024 * 1024
FILE_NAME = "IMG_20260115_093012.jpg"
RECEIPTS_TO_COLLECT = 4
NOISY = 0.1  # share of the cores used by other processes beyond which figures are flagged
# One derivation after the measured phase against one before it: outside these bounds the
# machine's speed changed under the run (other guests on the host), and the figures are flagged.
DRIFT_BOUNDS = (1 / 1.15, 1.15)

T = TypeVar("T")
QUIET = sysstat.QuietGate()


@dataclass(frozen=True)
class Case:
    key: str
    label: str
    with_file: bool


CASES = (
    Case("no_file", "2 KB answers, no file", with_file=False),
    Case("file_1mib_jpeg", "2 KB answers + 1 MiB JPEG", with_file=True),
)


@dataclass(frozen=True)
class Settings:
    phase_seconds: float
    login_seconds: float
    probe_repeat: int
    profiles: dict[str, str]


@dataclass
class Tally:
    """Everything the server acknowledged, to check against what it stored."""

    reports: int = 0
    files: int = 0
    errors: int = 0
    phases: dict[str, int] = field(default_factory=dict)

    def add(self, label: str, result: load.PhaseResult, *, files: bool, report: bool = True) -> None:
        if report:
            self.reports += result.ok
            self.files += result.ok if files else 0
        self.errors += result.errors
        self.phases[label] = result.errors


# ---------------------------------------------------------------- fixtures


def answers() -> dict[str, Any]:
    """Answers to the demo questionnaire, ``ANSWER_BYTES`` of text in all."""
    fixed: dict[str, Any] = {
        "where": "Procurement office, third floor, city hall annex",
        "when": "2026-01-15",
        "kind": "Bribery or corruption",
        "ongoing": "yes",
        "evidence": ["Documents", "E-mails or messages"],
        "reported_before": "no",
    }
    used = sum(len(v.encode()) for v in _values(fixed))
    sentence = (
        "On the first Monday of each month the head of procurement met a supplier's "
        "representative in the car park and was handed an envelope; two weeks later the "
        "road maintenance contract was extended again without a tender. "
    )
    what = (sentence * (ANSWER_BYTES // len(sentence) + 1))[: ANSWER_BYTES - used].strip()
    what += "." * (ANSWER_BYTES - used - len(what))
    return {"what": what, **fixed}


def _values(answers_: dict[str, Any]) -> list[str]:
    return [v for value in answers_.values() for v in (value if isinstance(value, list) else [value])]


# The form page's own random token (the app links reports sent twice from one page).
# Bodies are built once with this stand-in; each submission gets a fresh token of the
# same length, as a browser does by loading the page anew.
FORM_TOKEN_STAND_IN = "T" * 22


def form_fields(token: str, answers_: dict[str, Any]) -> list[tuple[str, str]]:
    fields = [("csrfmiddlewaretoken", token), ("form_token", FORM_TOKEN_STAND_IN)]
    for key, value in answers_.items():
        fields += [(f"q_{key}", v) for v in (value if isinstance(value, list) else [value])]
    fields.append(("identity", ""))
    return fields


def with_fresh_form_token(body: bytes) -> bytes:
    fresh = secrets.token_urlsafe(16)  # 22 characters, like the stand-in: Content-Length holds
    return body.replace(FORM_TOKEN_STAND_IN.encode(), fresh.encode(), 1)


def make_jpeg(target: Path, size: int = FILE_BYTES) -> int:
    """A photo-like JPEG of about ``size`` bytes with camera, author and GPS metadata."""
    from PIL import Image  # noqa: PLC0415 - Pillow is an app dependency, needed only here

    width, max_height = 1920, 2400
    rng = random.Random(20191937)
    noise = Image.frombytes("RGB", (width, max_height), rng.randbytes(width * max_height * 3))
    gradient = Image.linear_gradient("L").resize((width, max_height)).convert("RGB")
    picture = Image.blend(gradient, noise, 0.25)
    exif = Image.Exif()
    exif[0x010F] = "Bench Camera Co."  # Make
    exif[0x0110] = "BC-1 Pro"  # Model
    exif[0x013B] = "Jane Reporter"  # Artist
    exif[0x0132] = "2026:01:15 09:30:12"  # DateTime
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)})

    def encode(height: int) -> bytes:
        out = io.BytesIO()
        picture.crop((0, 0, width, height)).save(out, "JPEG", quality=88, exif=exif.tobytes())
        return out.getvalue()

    low, high = 200, max_height
    best = encode(low)
    while low < high:
        middle = (low + high + 1) // 2
        data = encode(middle)
        if len(data) <= size:
            low, best = middle, data
        else:
            high = middle - 1
    target.write_bytes(best)
    return len(best)


# ---------------------------------------------------------------- virtual users


@dataclass
class Visitor:
    """A virtual user with its cookies and a pre-built request body."""

    client: WebClient
    content_type: str
    body: bytes


def new_reporter(port: int, case: Case, answers_: dict[str, Any], jpeg: bytes) -> Visitor:
    """Open the form (cookie and CSRF token) and build the multipart body once."""
    client = WebClient(HOST, port)
    page = client.get(FORM_PATH)
    token = input_value(page.body, "csrfmiddlewaretoken")
    if page.status != 200 or not token or CSRF_COOKIE not in client.jar.values:
        msg = f"GET {FORM_PATH} gave HTTP {page.status} without a CSRF token"
        raise RuntimeError(msg)
    part = (
        FilePart("f_files", FILE_NAME, "image/jpeg", jpeg)
        if case.with_file
        else FilePart("f_files", "", "application/octet-stream", b"")  # what a browser sends
    )
    content_type, body = multipart(form_fields(token, answers_), [part])
    return Visitor(client, content_type, body)


def login_source(index: int) -> str:
    """A loopback address per returning reporter: reporters log in from addresses of their
    own, and the app limits receipt attempts per address across all its processes."""
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


def new_login_visitor(port: int, receipt: str, source: str) -> Visitor:
    client = WebClient(HOST, port, source)
    page = client.get(LOGIN_PATH)
    token = input_value(page.body, "csrfmiddlewaretoken")
    if page.status != 200 or not token:
        msg = f"GET {LOGIN_PATH} gave HTTP {page.status} without a CSRF token"
        raise RuntimeError(msg)
    content_type, body = urlencoded([("csrfmiddlewaretoken", token), ("receipt", receipt)])
    return Visitor(client, content_type, body)


def _problem(response: Response) -> str:
    errors = re.findall(r'<ul class="errorlist[^>]*>(.*?)</ul>', response.body.decode("utf-8", "replace"), re.S)
    detail = " ".join(re.sub(r"<[^>]+>", " ", e) for e in errors)
    detail = " ".join(detail.split())[:200]
    return f"HTTP {response.status} location={response.location!r} {detail}".strip()


def submit(visitor: Visitor) -> str | None:
    """One submission as a new visit: only the CSRF cookie of the form page is sent."""
    visitor.client.jar.keep_only({CSRF_COOKIE})
    response = visitor.client.post(FORM_PATH, with_fresh_form_token(visitor.body), visitor.content_type)
    if response.status == 302 and response.location.endswith(RECEIPT_PATH):
        return None
    return _problem(response)


def log_in(visitor: Visitor) -> str | None:
    visitor.client.jar.keep_only({CSRF_COOKIE})
    response = visitor.client.post(LOGIN_PATH, visitor.body, visitor.content_type)
    if response.status == 302 and response.location.endswith(PORTAL_PATH):
        return None
    return _problem(response)


def fetch_receipt(visitor: Visitor) -> str:
    """Submit, then read the receipt shown once on the receipt page."""
    problem = submit(visitor)
    if problem:
        msg = f"submission for a receipt failed: {problem}"
        raise RuntimeError(msg)
    page = visitor.client.get(RECEIPT_PATH)
    receipt = re.sub(r"\D", "", text_of(page.body, "receipt"))
    if page.status != 200 or len(receipt) != 16:
        msg = f"GET {RECEIPT_PATH} gave HTTP {page.status} and no 16-digit receipt"
        raise RuntimeError(msg)
    return receipt


# ---------------------------------------------------------------- phases


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def per_user_count(concurrency: int, seconds_each: float, target: float) -> int:
    """Actions per user so that a phase lasts about ``target`` seconds."""
    cores = os.cpu_count() or 1
    if concurrency == 1:
        return _clamp(target / seconds_each, 10, 250)
    rate = min(concurrency, cores) / seconds_each
    return _clamp(target * rate / concurrency, 2, 40)


def timed_phase(
    server: AppServer,
    make_users: Callable[[], Sequence[T]],
    per_user: int,
    action: Callable[[T], str | None],
    *,
    max_seconds: float,
    rate_name: str,
) -> tuple[load.PhaseResult, dict[str, Any]]:
    """Wait for quiet cores, prepare the users (untimed), then run and account for CPU."""
    waited = QUIET.wait()
    users = make_users()
    before = sysstat.snapshot(server.pid)
    result = load.run_phase(users, per_user, action, max_seconds=max_seconds)
    usage = sysstat.usage_between(before, sysstat.snapshot(server.pid))
    summary = {rate_name: round(result.per_second, 3), **result.summary(), **usage.as_dict()}
    summary["waited_for_quiet_seconds"] = round(waited, 1)
    for user in users:
        if isinstance(user, Visitor):
            user.client.close()
    if result.ok:
        summary["server_cpu_ms_per_request"] = round(usage.server_cpu_seconds * 1000 / result.ok, 1)
    return result, summary


def _close(visitors: Sequence[Visitor]) -> None:
    for visitor in visitors:
        visitor.client.close()


def _print_progress(label: str, summary: dict[str, Any], rate_name: str) -> None:
    print(
        f"  {label:<34} {summary[rate_name]:7.2f}/s  p50 {summary['p50_ms']} ms"
        f"  p99 {summary['p99_ms']} ms  errors {summary['errors']}"
        f"  ({summary['completed']} in {summary['seconds']} s"
        f", other load {summary['foreign_cpu_fraction']:.0%})",
        flush=True,
    )


class ProfileRun:
    """One KDF profile: a fresh server, every phase, then the in-process probes."""

    def __init__(self, name: str, cost: str, options: Settings, jpeg_path: Path) -> None:
        self.name, self.cost, self.options = name, cost, options
        self.jpeg_path = jpeg_path
        self.jpeg = jpeg_path.read_bytes()
        self.answers = answers()
        self.tally = Tally()

    def probe(self, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
        QUIET.wait()
        return dict(run_json_module("bench.intake_probe", *args, env=env, what=f"{' '.join(args[:1])} probe"))

    def run(self) -> dict[str, Any]:
        print(f"\n[{self.name}] Argon2id {self.cost}: timing one derivation ...", flush=True)
        before = self.time_derivation("before the load")
        with AppServer(env={"TIPLINE_KDF_COST": self.cost}) as server:
            print(f"  server up on 127.0.0.1:{server.port} (data {server.data_dir})", flush=True)
            warmup = self.warm_up(server)
            receipts = self.collect_receipts(server)
            cases: dict[str, Any] = {}
            after: dict[str, Any] = {}
            for case in CASES:
                cases[case.key] = self.run_case(server, case)
                if case.key == RATIO_CASE:
                    # The machine's speed drifts (other guests on the host): time the derivation
                    # again right after the phase the ratio is taken from, the server idle.
                    after = self.time_derivation(f"after '{case.label}'")
            kdf = bracket_kdf(before, after)
            logins = self.run_logins(server, receipts, float(kdf["seconds"]))
            server.stop()
            probe_env = app_environment(server.data_dir, {"TIPLINE_KDF_COST": self.cost})
            repeat = str(self.options.probe_repeat)
            file_args = ["--file", str(self.jpeg_path), "--name", FILE_NAME, "--repeat", repeat]
            print("  in-process: file stages and create_report ...", flush=True)
            stages = self.probe("stages", *file_args, env=probe_env)
            answers_path = server.data_dir / "bench-answers.json"
            answers_path.write_text(json.dumps(self.answers))
            service = self.probe("service", *file_args, "--answers", str(answers_path), env=probe_env)
        return self.summarise(kdf=kdf, warmup=warmup, cases=cases, logins=logins, stages=stages, service=service)

    def time_derivation(self, when: str) -> dict[str, Any]:
        kdf = self.probe("kdf", "--cost", self.cost, "--repeat", str(self.options.probe_repeat))
        print(
            f"  one derivation {float(kdf['seconds']) * 1000:.1f} ms {when}; {kdf['parallel_per_s']}/s on all cores",
            flush=True,
        )
        return kdf

    def warm_up(self, server: AppServer) -> dict[str, Any]:
        """Both workers see both kinds of request before anything is timed."""
        summary: dict[str, Any] = {}
        for case in CASES:
            users = [new_reporter(server.port, case, self.answers, self.jpeg) for _ in range(4)]
            result = load.run_phase(users, 2, submit, max_seconds=120)
            _close(users)
            self.tally.add(f"warmup/{case.key}", result, files=case.with_file)
            summary[case.key] = {"completed": result.ok, "errors": result.errors, "error_samples": result.error_samples}
        return summary

    def collect_receipts(self, server: AppServer) -> list[str]:
        case = CASES[0]
        visitor = new_reporter(server.port, case, self.answers, self.jpeg)
        try:
            receipts = [fetch_receipt(visitor) for _ in range(RECEIPTS_TO_COLLECT)]
        finally:
            visitor.client.close()
        self.tally.reports += len(receipts)
        return receipts

    def calibrate(self, server: AppServer, case: Case) -> tuple[float, int]:
        """Median latency of three sequential submissions (to size the phases), body size."""
        visitor = new_reporter(server.port, case, self.answers, self.jpeg)
        result = load.run_phase([visitor], 3, submit, max_seconds=120)
        _close([visitor])
        self.tally.add(f"calibrate/{case.key}", result, files=case.with_file)
        return (statistics.median(result.latencies) if result.latencies else 1.0), len(visitor.body)

    def run_case(self, server: AppServer, case: Case) -> dict[str, Any]:
        seconds_each, body_bytes = self.calibrate(server, case)
        summaries: dict[str, Any] = {"description": case.label, "request_body_bytes": body_bytes}
        for concurrency in CONCURRENCIES:

            def make_users(count: int = concurrency) -> list[Visitor]:
                return [new_reporter(server.port, case, self.answers, self.jpeg) for _ in range(count)]

            per_user = per_user_count(concurrency, seconds_each, self.options.phase_seconds)
            result, summary = timed_phase(
                server,
                make_users,
                per_user,
                submit,
                max_seconds=self.options.phase_seconds * 3,
                rate_name="submissions_per_s",
            )
            self.tally.add(f"{case.key}/c{concurrency}", result, files=case.with_file)
            summaries[f"c{concurrency}"] = summary
            _print_progress(f"{case.label}, concurrency {concurrency}", summary, "submissions_per_s")
        return summaries

    def run_logins(self, server: AppServer, receipts: list[str], argon2: float) -> dict[str, Any]:
        summaries: dict[str, Any] = {}
        for concurrency in CONCURRENCIES:

            def make_users(count: int = concurrency) -> list[Visitor]:
                return [
                    new_login_visitor(server.port, receipts[i % len(receipts)], login_source(i)) for i in range(count)
                ]

            per_user = per_user_count(concurrency, argon2 + 0.01, self.options.login_seconds)
            result, summary = timed_phase(
                server,
                make_users,
                per_user,
                log_in,
                max_seconds=self.options.login_seconds * 3,
                rate_name="logins_per_s",
            )
            self.tally.add(f"receipt_login/c{concurrency}", result, files=False, report=False)
            summaries[f"c{concurrency}"] = summary
            _print_progress(f"receipt log-in, concurrency {concurrency}", summary, "logins_per_s")
        return summaries

    def summarise(
        self,
        *,
        kdf: dict[str, Any],
        warmup: dict[str, Any],
        cases: dict[str, Any],
        logins: dict[str, Any],
        stages: dict[str, Any],
        service: dict[str, Any],
    ) -> dict[str, Any]:
        cores = os.cpu_count() or 1
        argon2 = float(kdf["seconds"])
        limit = cores / argon2
        ratio = cases[RATIO_CASE]["c16"]["submissions_per_s"] / limit
        stored = service.pop("stored_before")
        stored_check = {
            "reports_acknowledged": self.tally.reports,
            "reports_stored": stored["reports"],
            "files_acknowledged": self.tally.files,
            "attachments_sent_cleaned": stored["attachments_sent"],
            "attachments_held_uncleaned": stored["attachments_held"],
            "linked_as_sent_twice": stored["linked_as_sent_twice"],  # every submission is a page of its own
        }
        stored_check["ok"] = (
            stored["reports"] == self.tally.reports
            and stored["attachments_sent"] == self.tally.files
            and stored["attachments_held"] == 0
            and stored["linked_as_sent_twice"] == 0
        )
        vs_parallel = round(cases[RATIO_CASE]["c16"]["submissions_per_s"] / float(kdf["parallel_per_s"]), 3)
        return {
            "kdf_cost": self.cost,
            "argon2_seconds": argon2,
            "argon2": kdf,
            "kdf_limit_per_s": round(limit, 3),
            "kdf_limit_ratio": round(ratio, 3),
            "kdf_limit_ratio_cpu_estimate": cpu_ratio_estimate(kdf, cases),
            "kdf_limit_ratio_vs_parallel_argon2": vs_parallel,
            "target_kdf_limit_ratio_vs_parallel_argon2": TARGET_RATIO,
            # A run whose machine changed speed under it judges nothing (see drift_warning).
            "target_met": vs_parallel >= TARGET_RATIO and not kdf["drifted"],
            "cases": cases,
            "receipt_login": logins,
            "file_stages": stages,
            "file_time_breakdown_ms": breakdown(cases, stages, service),
            "no_file_cpu_breakdown_ms": cpu_breakdown(cases, service),
            "service": service,
            "stored_check": stored_check,
            "warmup": warmup,
            "max_foreign_cpu_fraction": max(
                [c[f"c{n}"]["foreign_cpu_fraction"] for c in cases.values() for n in CONCURRENCIES]
                + [logins[f"c{n}"]["foreign_cpu_fraction"] for n in CONCURRENCIES]
            ),
            "errors": self.tally.errors,
            "errors_by_phase": self.tally.phases,
        }


def bracket_kdf(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """One derivation's time from the timings taken before and after the measured phase.

    ``seconds`` is the median CPU time of every derivation of both probes and
    ``parallel_per_s`` the mean of both rates, so a machine that speeds up or
    slows down during the run moves the limit no more than it moves the load.
    """
    samples = before["serial"]["cpu_samples_ms"] + after["serial"]["cpu_samples_ms"]
    drift = statistics.median(after["serial"]["cpu_samples_ms"]) / statistics.median(before["serial"]["cpu_samples_ms"])
    return {
        "cost": before["cost"],
        "seconds": round(statistics.median(samples) / 1000, 4),
        # After ÷ before: 1.0 on a machine whose speed held during the run.
        "drift_after_vs_before": round(drift, 3),
        "drifted": not DRIFT_BOUNDS[0] <= drift <= DRIFT_BOUNDS[1],
        "serial": {
            "cpu_median_ms": round(statistics.median(samples), 2),
            "cpu_min_ms": min(samples),
            "cpu_max_ms": max(samples),
            "runs": len(samples),
        },
        "parallel_workers": before["parallel_workers"],
        "parallel_per_s": round((float(before["parallel_per_s"]) + float(after["parallel_per_s"])) / 2, 3),
        "before_load": before,
        "after_ratio_phase": after,
    }


def breakdown(cases: dict[str, Any], stages: dict[str, Any], service: dict[str, Any]) -> dict[str, float]:
    """Where the time of one submission with the file goes (ms, medians, concurrency 1).

    The in-process request times its parts within the same calls; the stage
    probe splits encryption from storage; the HTTP share is what the measured
    p50 latency adds to the in-process request.
    """
    request = service["wsgi"]["post_with_file"]
    latency = float(cases["file_1mib_jpeg"]["c1"]["p50_ms"])
    return {
        "argon2id": request["argon2id_ms"],
        "metadata_removal_mat2": request["mat2_ms"],
        "encryption_and_storage": request["encrypt_and_store_ms"],
        "encryption_alone": stages["encryption"]["median_ms"],
        "storage_write_fsync_alone": stages["storage"]["median_ms"],
        "rest_of_create_report": request["create_report_rest_ms"],
        "django_request_multipart_session": request["outside_create_report_ms"],
        "in_process_request_total": request["total_ms"],
        "http_server_and_transfer": round(latency - request["total_ms"], 1),
        "p50_latency_concurrency_1": latency,
        "mat2_cpu": request["mat2_cpu_ms"],
    }


def cpu_breakdown(cases: dict[str, Any], service: dict[str, Any]) -> dict[str, float | None]:
    """Server CPU of one submission without a file (ms): the derivation, and everything else.

    The in-process request measures its parts within the same calls; the HTTP
    server's share is the server's CPU per submission at concurrency 1 minus
    the in-process request. At concurrency 16 the derivations also compete
    for the cores' caches and memory bandwidth.
    """
    request = service["wsgi"]["post_without_file"]
    c1 = cases["no_file"]["c1"].get("server_cpu_ms_per_request")
    c16 = cases["no_file"]["c16"].get("server_cpu_ms_per_request")
    return {
        "argon2id_derivation": request["argon2id_cpu_ms"],
        "create_report_besides_derivation": request["create_report_rest_cpu_ms"],
        "django_request_outside_create_report": request["outside_create_report_cpu_ms"],
        "in_process_besides_derivation": request["besides_argon2id_cpu_ms"],
        "http_server_and_wsgi": None if c1 is None else round(c1 - request["total_cpu_ms"], 2),
        "server_total_concurrency_1": c1,
        "server_total_concurrency_16": c16,
    }


def cpu_ratio_estimate(kdf: dict[str, Any], cases: dict[str, Any]) -> float | None:
    """kdf_limit_ratio as the CPU accounting predicts it on a quiet machine.

    When the cores are saturated, submissions/s = cores / CPU per submission
    (server and load generator), so the ratio is one derivation's CPU time
    over the CPU one submission costs at concurrency 16. CPU times suffer far
    less than rates when other processes share the machine.
    """
    phase = cases["no_file"]["c16"]
    if not phase["completed"]:
        return None
    per_submission = float(phase["server_cpu_seconds"] + phase["loadgen_cpu_seconds"]) / int(phase["completed"])
    return round(float(kdf["serial"]["cpu_median_ms"]) / 1000 / per_submission, 3)


# ---------------------------------------------------------------- report


def verdict_of(met: bool, kdf: dict[str, Any]) -> str:
    """The target's verdict as printed: none when the machine drifted during the run."""
    if kdf["drifted"]:
        return "not judged (the machine's speed drifted during the run)"
    return "met" if met else "NOT met"


def drift_warning(kdf: dict[str, Any]) -> str | None:
    """A warning when the derivation's time moved during the run (``bracket_kdf``), else None."""
    if not kdf["drifted"]:
        return None
    return (
        f"WARNING: one Argon2id took {kdf['drift_after_vs_before']:.2f} times as long after the measured "
        "phase as before it: the machine's speed changed under the run, so the ratios are unreliable. Run again."
    )


def print_profile(name: str, profile: dict[str, Any]) -> None:
    cores = os.cpu_count() or 1
    print(
        f"\nIntake — profile {name}: Argon2id {profile['kdf_cost']}, one derivation "
        f"{profile['argon2_seconds'] * 1000:.1f} ms → KDF limit {profile['kdf_limit_per_s']:.2f}/s "
        f"on {cores} cores"
    )
    rows: list[list[object]] = []
    for case in CASES:
        for concurrency in CONCURRENCIES:
            entry = profile["cases"][case.key][f"c{concurrency}"]
            rows.append(_row(case.label, concurrency, entry, entry["submissions_per_s"]))
    for concurrency in CONCURRENCIES:
        entry = profile["receipt_login"][f"c{concurrency}"]
        rows.append(_row("receipt log-in", concurrency, entry, entry["logins_per_s"]))
    header = [
        "case",
        "conc",
        "n",
        "per s",
        "p50 ms",
        "p99 ms",
        "errors",
        "server CPU ms/req",
        "CPU busy",
        "other load",
    ]
    print(results.table(header, rows))
    verdict = verdict_of(profile["target_met"], profile["argon2"])
    print(
        f"vs measured parallel Argon2id {profile['argon2']['parallel_per_s']}/s: "
        f"{profile['kdf_limit_ratio_vs_parallel_argon2']:.3f} (target ≥ {TARGET_RATIO}: {verdict}); "
        f"kdf_limit_ratio = {profile['kdf_limit_ratio']:.3f}; "
        f"CPU-accounting estimate for a quiet machine: {profile['kdf_limit_ratio_cpu_estimate']}"
    )
    cpu = profile["no_file_cpu_breakdown_ms"]
    print("Without a file, server CPU per submission (ms): " + ", ".join(f"{k} {v}" for k, v in cpu.items()))
    parts = profile["file_time_breakdown_ms"]
    print(
        "With the file, one submission at concurrency 1 (ms, medians): "
        + ", ".join(f"{k} {v}" for k, v in parts.items())
    )
    service = profile["service"]
    print(
        "In-process create_report (ms, median): receipt derivation "
        f"{service['receipt_derivation']['median_ms']}, without file {service['submit_without_file']['median_ms']}, "
        f"with file {service['submit_with_file']['median_ms']}"
    )
    if profile["max_foreign_cpu_fraction"] > NOISY:
        print(
            f"WARNING: other processes used up to {profile['max_foreign_cpu_fraction']:.0%} of the cores "
            "during a phase: rates and latencies are lower than on a quiet machine."
        )
    if warning := drift_warning(profile["argon2"]):
        print(warning)
    check = profile["stored_check"]
    print(
        f"Stored: {check['reports_stored']}/{check['reports_acknowledged']} reports, "
        f"{check['attachments_sent_cleaned']}/{check['files_acknowledged']} files cleaned and sent, "
        f"{check['attachments_held_uncleaned']} held, {check['linked_as_sent_twice']} linked as sent twice; "
        f"errors {profile['errors']}"
    )


def _row(label: str, concurrency: int, entry: dict[str, Any], rate: float) -> list[object]:
    return [
        label,
        concurrency,
        entry["completed"],
        rate,
        entry["p50_ms"],
        entry["p99_ms"],
        entry["errors"],
        entry.get("server_cpu_ms_per_request"),
        f"{entry['machine_busy_fraction']:.0%}",
        f"{entry['foreign_cpu_fraction']:.0%}",
    ]


def parse(argv: list[str]) -> Settings:
    parser = argparse.ArgumentParser(prog="python -m bench intake", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--profile",
        action="append",
        choices=sorted(PROFILES),
        help="run only this KDF profile (repeatable; default: all)",
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="target length of each timed phase")
    parser.add_argument("--quick", action="store_true", help="short phases, to try the harness")
    options = parser.parse_args(argv)
    seconds = 3.0 if options.quick else options.seconds
    chosen = options.profile or list(PROFILES)
    return Settings(
        phase_seconds=seconds,
        login_seconds=max(2.0, seconds / 2),
        probe_repeat=3 if options.quick else 7,
        profiles={name: PROFILES[name] for name in chosen},
    )


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds the ``with`` blocks, so the server is stopped


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    options = parse(argv)
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tipline-bench-fixture-") as folder:
        jpeg_path = Path(folder) / FILE_NAME
        size = make_jpeg(jpeg_path)
        print(f"Fixture: {FILE_NAME}, {size} bytes, with EXIF camera, author and GPS tags", flush=True)
        profiles = {name: ProfileRun(name, cost, options, jpeg_path).run() for name, cost in options.profiles.items()}
    output: dict[str, Any] = {
        "benchmark": NAME,
        "generated_at": results.now(),
        "cores": os.cpu_count() or 1,
        "machine": results.machine(),
        "app": results.source_version(),
        "setup": {
            "server": "tipline serve (granian WSGI, workers = cores, 8 blocking threads)",
            "database": "SQLite (WAL) in a fresh temporary data folder",
            "answers_bytes": ANSWER_BYTES,
            "file": {"name": FILE_NAME, "bytes": size, "type": "image/jpeg"},
            "phase_target_seconds": options.phase_seconds,
            "concurrencies": list(CONCURRENCIES),
            "login_sources": "one loopback address per virtual reporter (127.0.x.y), as reporters come from their own",
        },
    }
    first, *others = profiles
    output.update({"profile": first, **profiles[first]})
    for name in others:
        output[name] = profiles[name]
    output["errors_all_profiles"] = sum(p["errors"] for p in profiles.values())
    output["waited_for_quiet_seconds"] = round(QUIET.waited, 1)
    output["duration_seconds"] = round(time.monotonic() - began, 1)
    path = results.write(NAME, output)
    for name, profile in profiles.items():
        print_profile(name, profile)
    print(f"\nWrote {path} in {output['duration_seconds']} s")
    failed = output["errors_all_profiles"] > 0 or not all(p["stored_check"]["ok"] for p in profiles.values())
    return 1 if failed else 0
