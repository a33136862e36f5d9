"""Mailbox benchmark: mail delivered to Dovecot, taken in by the worker of a default deployment.

This:

1. starts a throwaway Dovecot (``tipline.mailbox.dovecot``), an SMTP server for the
   replies (aiosmtpd, as the end-to-end journeys use) and the app as ``make run``
   does (fresh data folder, SQLite, local storage, ``tipline serve``), with a
   mailbox channel that reads that Dovecot and answers with a receipt;
2. delivers ``--messages`` mails (1,000: 20,000 characters of text and one 200 KB
   JPEG with EXIF camera, author and GPS tags each, every one from its own sender)
   with ``dovecot-lda``, as a mail server would;
3. times, with the worker stopped, one Argon2id derivation at the configured cost
   (``bench.intake_probe kdf``) and one metadata removal of that JPEG through the
   app's cleaning path (``cleaning.cleaned_copy``, warm mat2 helper, sandbox);
4. starts ``tipline worker`` as ``make run`` does (one process, the default
   threads), with ``TIPLINE_MAIL_POLL_SECONDS=1``, and times from the moment the
   first ``mailbox.poll`` job is claimed to the moment the mailbox is empty and
   every message is a report;
5. stops the worker, times step 3 again, opens every report with a handler's key
   to count lost and duplicated messages (by the number in each subject) and
   counts the replies the SMTP server received;
6. takes in a few more mails with ``mailbox.services.poll`` in-process
   (``bench.mailbox_probe profile``) to show where the time of a message goes.

``limit_ratio`` = messages per second ÷ (cores ÷ (one Argon2id + one metadata
removal)); the target on 2 cores is 0.8, with no message lost or duplicated.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import email
import email.policy
import logging
import os
import re
import secrets
import shutil
import signal
import sqlite3
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from bench import results, sysstat
from bench.intake import bracket_kdf, drift_warning, make_jpeg, verdict_of
from bench.mailbox_probe import HANDLER_PASSWORD_VARIABLE
from bench.processes import Service, run_json_module, stop_group
from bench.server import AppServer, tipline_command
from tipline.mailbox import dovecot
from tipline.testing import free_port, text_of

NAME = "mailbox"
TARGET_RATIO = 0.8
MESSAGES = 1000
QUICK_MESSAGES = 100
PROFILE_MESSAGES = 100
TEXT_CHARS = 20_000  # the app's default TIPLINE_MAX_ANSWER_CHARS: the whole text is taken in
JPEG_BYTES = 200 * 1024
POLL_SECONDS = 1
WORKER_LEASE_SECONDS = 60.0  # ``tipline worker``'s default lease: a claim sets locked_until to now + lease
PASSWORD_VARIABLE = "TIPLINE_BENCH_IMAP_PASSWORD"
MAILBOX_ADDRESS = "tips@example.org"
WATCH_SECONDS = 0.05
STALL_SECONDS = 90.0
NOISY = 0.1
RECEIPT_LINE = re.compile(r"\b\d{4} \d{4} \d{4} \d{4}\b")
SENDER = re.compile(r"reporter-(\d+)@example\.net")

QUIET = sysstat.QuietGate()


@dataclass(frozen=True)
class Settings:
    messages: int
    profile_messages: int
    probe_repeat: int
    threads: int | None  # TIPLINE_MAIL_THREADS for the worker; None: the app's default (the cores + 1)


# ---------------------------------------------------------------- fixtures


def message_text(number: int) -> str:
    """``TEXT_CHARS`` characters of plain text in lines a mail program would send."""
    sentence = (
        f"Report {number:04d}: on the first Monday of each month the head of procurement met a "
        "supplier's representative in the car park and was handed an envelope; two weeks later "
        "the road maintenance contract was extended again without a tender. "
    )
    words = (sentence * (TEXT_CHARS // len(sentence) + 2)).split()
    lines, line = [], ""
    for word in words:
        if len(line) + len(word) + 1 > 72:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    text = "\n".join(lines)[:TEXT_CHARS]
    return text.rstrip() + "." * (TEXT_CHARS - len(text.rstrip()))


def mail(number: int, jpeg: bytes) -> bytes:
    """One mail as a mail program sends it: its own sender and Message-ID, the text, the photo."""
    message = EmailMessage()
    message["From"] = f"Reporter {number:04d} <reporter-{number:04d}@example.net>"
    message["To"] = MAILBOX_ADDRESS
    message["Subject"] = f"Bench message {number:04d}"
    message["Date"] = formatdate()
    message["Message-ID"] = make_msgid(f"bench.{number}", domain="example.net")
    message.set_content(message_text(number))
    message.add_attachment(
        jpeg, maintype="image", subtype="jpeg", filename=f"IMG_2026011{number % 10}_{number:04d}.jpg"
    )
    return message.as_bytes()


def deliver(server: dovecot.Dovecot, jpeg: bytes, numbers: range) -> dict[str, Any]:
    """Deliver mails ``numbers`` with dovecot-lda (a few at once, as a mail server does)."""
    began = time.monotonic()
    before = server.count()
    with ThreadPoolExecutor(max_workers=4) as pool:
        sizes = list(pool.map(lambda n: _deliver_one(server, jpeg, n), numbers))
    delivered = server.count() - before
    if delivered != len(numbers):
        msg = f"{delivered} of {len(numbers)} mails reached the mailbox"
        raise RuntimeError(msg)
    return {
        "delivered": delivered,
        "seconds": round(time.monotonic() - began, 1),
        "message_bytes_median": int(statistics.median(sizes)),
    }


def _deliver_one(server: dovecot.Dovecot, jpeg: bytes, number: int) -> int:
    raw = mail(number, jpeg)
    server.deliver(raw, sender=f"reporter-{number:04d}@example.net")
    return len(raw)


# ---------------------------------------------------------------- services


@contextlib.contextmanager
def throwaway_dovecot() -> Iterator[dovecot.Dovecot]:
    if not dovecot.available():
        msg = "Dovecot is not installed (apt-get install dovecot-imapd; make bench installs it)"
        raise RuntimeError(msg)
    root = Path(tempfile.mkdtemp(prefix="tipline-bench-dovecot-"))
    try:
        server = dovecot.start(root)
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def dovecot_pid(server: dovecot.Dovecot) -> int | None:
    try:
        return int((server.root / "run" / "master.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


@dataclass
class ReplySink:
    """Handler of the SMTP server (aiosmtpd) the replies go to: it keeps each reply's bytes and
    reads them only after the run, so the sink costs the cores as little as it can."""

    received: list[tuple[list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.received.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted for delivery"


@contextlib.contextmanager
def reply_sink() -> Iterator[tuple[ReplySink, int]]:
    """A real SMTP server on 127.0.0.1 for as long as the block runs: its sink and port."""
    from aiosmtpd.controller import Controller  # noqa: PLC0415 - a development dependency, as in e2e/

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command at INFO
    sink = ReplySink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield sink, controller.port
    finally:
        controller.stop()


class Worker(Service):
    """``tipline worker`` in its own process group, as ``tools/serve-with-worker.sh`` starts it."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        with log_path.open("wb") as log:
            self.process: subprocess.Popen[bytes] | None = subprocess.Popen(
                [*tipline_command(), "worker"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    @property
    def pid(self) -> int:
        if self.process is None:
            msg = "the worker is not running"
            raise RuntimeError(msg)
        return self.process.pid

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        process, self.process = self.process, None
        stop_group(process, signal.SIGTERM, 120.0)  # it finishes the job in hand first

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


# ---------------------------------------------------------------- watching the run


class Database:
    """The app's SQLite database, read-only, to see the poll job and the reports as they come."""

    def __init__(self, setup: dict[str, Any]) -> None:
        self.connection = sqlite3.connect(f"file:{setup['database']}?mode=ro", uri=True, timeout=5)
        self.reports_sql = f'SELECT count(*) FROM "{setup["reports_table"]}" WHERE channel_id = ?'  # noqa: S608
        self.poll_sql = (
            f'SELECT locked_until, state FROM "{setup["jobs_table"]}" '  # noqa: S608 - table names from Django
            "WHERE kind = 'mailbox.poll' AND attempts > 0 ORDER BY id LIMIT 1"
        )
        self.channel_id = int(setup["channel_id"])

    def reports(self) -> int:
        return int(self.connection.execute(self.reports_sql, (self.channel_id,)).fetchone()[0])

    def first_claim(self) -> float | None:
        """When the first ``mailbox.poll`` job was claimed (epoch seconds), once it has been."""
        row = self.connection.execute(self.poll_sql).fetchone()
        if row is None:
            return None
        if not row[0]:
            msg = "the first mailbox.poll job ended before the benchmark saw it claimed"
            raise RuntimeError(msg)
        locked_until = dt.datetime.fromisoformat(str(row[0])).replace(tzinfo=dt.UTC)
        return locked_until.timestamp() - WORKER_LEASE_SECONDS

    def close(self) -> None:
        self.connection.close()


@dataclass
class Run:
    """What the watcher saw of the ingest."""

    first_poll: float = 0.0
    done_at: float = 0.0
    reports: int = 0
    left_in_mailbox: int = 0
    finished: bool = False
    timeline: list[list[float]] = field(default_factory=list)  # [seconds since first poll, reports]

    @property
    def seconds(self) -> float:
        return self.done_at - self.first_poll


def wait_for_first_poll(db: Database, worker: Worker, timeout: float = 120.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not worker.running():
            msg = f"the worker exited:\n{worker.log_tail()}"
            raise RuntimeError(msg)
        claimed = db.first_claim()
        if claimed is not None:
            return claimed
        time.sleep(WATCH_SECONDS)
    msg = f"no mailbox.poll job was claimed within {timeout:.0f} s:\n{worker.log_tail()}"
    raise RuntimeError(msg)


def watch(db: Database, server: dovecot.Dovecot, expected: int, first_poll: float) -> Run:
    """Until the mailbox is empty and every message is a report, or nothing moves for a while."""
    run = Run(first_poll=first_poll)
    last_change, last_state, next_sample = time.monotonic(), (-1, -1), 0.0
    next_count = 0.0
    while True:
        run.reports = db.reports()
        now = time.time()
        if run.reports >= expected or now >= next_count:  # listing the maildir costs more than a query
            run.left_in_mailbox, next_count = server.count(), now + 1.0
        if run.reports >= expected and run.left_in_mailbox == 0:
            run.done_at, run.finished = now, True
            break
        if now - first_poll >= next_sample:
            run.timeline.append([round(now - first_poll, 2), run.reports])
            next_sample += 1.0
        if (run.reports, run.left_in_mailbox) != last_state:
            last_state, last_change = (run.reports, run.left_in_mailbox), time.monotonic()
        elif time.monotonic() - last_change > STALL_SECONDS:
            run.done_at = now
            break
        time.sleep(WATCH_SECONDS)
    run.timeline.append([round(run.done_at - first_poll, 2), run.reports])
    return run


# ---------------------------------------------------------------- the benchmark


class MailboxRun:
    def __init__(self, options: Settings, jpeg_path: Path) -> None:
        self.options = options
        self.jpeg_path = jpeg_path
        self.jpeg = jpeg_path.read_bytes()
        self.handler_password = secrets.token_urlsafe(18)

    def probe(self, module: str, *args: str, env: dict[str, str], quiet: bool = True) -> dict[str, Any]:
        if quiet:
            QUIET.wait()
        env = {**env, HANDLER_PASSWORD_VARIABLE: self.handler_password}
        return dict(run_json_module(module, *args, env=env, what=f"{module} {args[0]}"))

    def baseline(self, env: dict[str, str], cost: str, when: str) -> tuple[dict[str, Any], dict[str, Any]]:
        repeat = str(self.options.probe_repeat)
        kdf = self.probe("bench.intake_probe", "kdf", "--cost", cost, "--repeat", repeat, env=env)
        clean = self.probe("bench.mailbox_probe", "clean", "--file", str(self.jpeg_path), "--repeat", repeat, env=env)
        print(
            f"  {when}: one Argon2id {float(kdf['seconds']) * 1000:.1f} ms, "
            f"one metadata removal {clean['median_ms']} ms (CPU {clean['cpu_median_ms']} ms)",
            flush=True,
        )
        return kdf, clean

    def run(self) -> dict[str, Any]:
        with throwaway_dovecot() as imap, reply_sink() as (replies, smtp_port):
            env = {
                "TIPLINE_SMTP_HOST": "127.0.0.1",
                "TIPLINE_SMTP_PORT": str(smtp_port),
                "TIPLINE_MAIL_POLL_SECONDS": str(POLL_SECONDS),
                PASSWORD_VARIABLE: imap.password,
            }
            if self.options.threads:
                env["TIPLINE_MAIL_THREADS"] = str(self.options.threads)
            with AppServer(env=env) as server:
                print(
                    f"  app up on 127.0.0.1:{server.port} (data {server.data_dir}); Dovecot on {imap.url}", flush=True
                )
                setup = self.probe(
                    "bench.mailbox_probe",
                    "setup",
                    *("--imap-url", imap.url, "--imap-user", imap.user, "--password-variable", PASSWORD_VARIABLE),
                    env=server.env,
                    quiet=False,
                )
                delivery = deliver(imap, self.jpeg, range(self.options.messages))
                print(f"  delivered {delivery['delivered']} mails in {delivery['seconds']} s", flush=True)
                before = self.baseline(server.env, setup["kdf_cost"], "before")
                ingest = self.ingest(server, imap, setup)
                after = self.baseline(server.env, setup["kdf_cost"], "after")
                stored = self.probe(
                    "bench.mailbox_probe",
                    *("verify", "--channel", str(setup["channel_id"]), "--expected", str(self.options.messages)),
                    env=server.env,
                    quiet=False,
                )
                answered = count_replies(replies, self.options.messages)
                profile = self.profile(server, imap, setup)
        return summarise(
            options=self.options,
            setup=setup,
            delivery=delivery,
            baselines=(before, after),
            ingest=ingest,
            stored=stored,
            replies=answered,
            profile=profile,
        )

    def ingest(self, server: AppServer, imap: dovecot.Dovecot, setup: dict[str, Any]) -> dict[str, Any]:
        QUIET.wait()
        db = Database(setup)
        worker = Worker(server.env, server.data_dir / "worker.log")
        try:
            first_poll = wait_for_first_poll(db, worker)
            cpu_before = _cpu(worker, server, imap)
            print(f"  first poll claimed; taking in {self.options.messages} mails ...", flush=True)
            run = watch(db, imap, self.options.messages, first_poll)
            cpu_after = _cpu(worker, server, imap)
        finally:
            worker.stop()
            db.close()
        rate = run.reports / run.seconds if run.seconds > 0 else 0.0
        print(
            f"  {run.reports} reports in {run.seconds:.1f} s = {rate:.2f}/s; {run.left_in_mailbox} left in the mailbox",
            flush=True,
        )
        return {
            "finished": run.finished,
            "seconds": round(run.seconds, 2),
            "reports": run.reports,
            "left_in_mailbox": run.left_in_mailbox,
            "done_folder": imap.count("Done"),
            "timeline": run.timeline,
            "cpu": _cpu_between(cpu_before, cpu_after, max(run.reports, 1)),
        }

    def profile(self, server: AppServer, imap: dovecot.Dovecot, setup: dict[str, Any]) -> dict[str, Any]:
        first = self.options.messages
        numbers = range(first, first + self.options.profile_messages)
        deliver(imap, self.jpeg, numbers)
        print(f"  in-process: poll() over {len(numbers)} more mails, with its parts timed ...", flush=True)
        profile = self.probe("bench.mailbox_probe", "profile", "--channel", str(setup["channel_id"]), env=server.env)
        profile["left_in_mailbox"] = imap.count()
        return profile


@dataclass(frozen=True)
class CpuPoint:
    machine: sysstat.CpuSnapshot
    dovecot: float
    web_server: float
    others: dict[int, float]  # every other process (other work on the machine, kernel threads): CPU seconds


def _cpu(worker: Worker, server: AppServer, imap: dovecot.Dovecot) -> CpuPoint:
    master = dovecot_pid(imap)
    roots = [worker.pid, server.pid, os.getpid(), *([master] if master else [])]
    return CpuPoint(
        machine=sysstat.snapshot(worker.pid),
        dovecot=sysstat.tree_cpu_seconds(master) if master else 0.0,
        web_server=sysstat.tree_cpu_seconds(server.pid),
        others=_processes_outside(roots),
    )


def _processes_outside(roots: list[int]) -> dict[int, float]:
    """CPU seconds of every process outside the trees of ``roots`` (reaped children included)."""
    children = sysstat._children()
    ours, stack = set(), list(roots)
    while stack:
        pid = stack.pop()
        ours.add(pid)
        stack.extend(children.get(pid, []))
    others: dict[int, float] = {}
    for pids in children.values():
        for pid in pids:
            fields = sysstat._stat_fields(pid) if pid not in ours else None
            if fields:
                others[pid] = sum(int(v) for v in fields[11:15]) / sysstat._TICKS
    return others


def _cpu_between(before: CpuPoint, after: CpuPoint, messages: int) -> dict[str, Any]:
    """Where the cores went while the mail came in.

    The processes of the cleaning sandboxes (bwrap) are not always waited for by their
    parent, so part of mat2's CPU is charged to no process of the worker's tree: it shows
    as processes reaped by init (pid 1) or as time charged to no process at all. The
    worker's CPU ``with_sandboxes`` is therefore what the machine was busy with, less
    Dovecot, the web server, this process and other processes.
    """
    usage = sysstat.usage_between(before.machine, after.machine)
    dovecot_cpu = after.dovecot - before.dovecot
    web = after.web_server - before.web_server
    span = max(after.machine.machine_total - before.machine.machine_total, 1e-9)
    delta = {pid: max(0.0, cpu - before.others[pid]) for pid, cpu in after.others.items() if pid in before.others}
    init = delta.pop(1, 0.0)
    others = sum(delta.values())
    busy = usage.machine_busy_fraction * span
    worker = usage.server_cpu_seconds
    with_sandboxes = max(worker, busy - others - dovecot_cpu - web - usage.loadgen_cpu_seconds)
    cores = os.cpu_count() or 1
    return {
        "machine_busy_fraction": round(usage.machine_busy_fraction, 3),
        "worker_tree_cpu_seconds": round(worker, 2),
        "worker_cpu_seconds_with_sandboxes": round(with_sandboxes, 2),
        "worker_cores": round(with_sandboxes / span * cores, 2),
        "dovecot_cpu_seconds": round(dovecot_cpu, 2),
        "web_server_cpu_seconds": round(web, 2),
        "bench_cpu_seconds": round(usage.loadgen_cpu_seconds, 2),
        "reaped_by_init_cpu_seconds": round(init, 2),
        # Other processes on the machine (another user's work, kernel threads) while the mail came in.
        "foreign_cpu_fraction": round(others / span, 3),
        "idle_fraction": round(1 - usage.machine_busy_fraction, 3),
        "per_message_ms": {
            "worker": round(with_sandboxes * 1000 / messages, 1),
            "worker_tree_alone": round(worker * 1000 / messages, 1),
            "dovecot": round(dovecot_cpu * 1000 / messages, 1),
            "smtp_sink_and_watcher": round(usage.loadgen_cpu_seconds * 1000 / messages, 1),
            "web_server": round(web * 1000 / messages, 2),
        },
    }


def count_replies(replies: ReplySink, expected: int) -> dict[str, Any]:
    """Every reply the SMTP server received: one per message, each with a receipt."""
    numbers: list[int] = []
    with_receipt = 0
    for recipients, content in list(replies.received):
        match = SENDER.search(" ".join(recipients))
        if match is None or int(match.group(1)) >= expected:
            continue
        numbers.append(int(match.group(1)))
        message = email.message_from_bytes(content, policy=email.policy.default)
        if isinstance(message, EmailMessage) and RECEIPT_LINE.search(text_of(message)):
            with_receipt += 1
    return {
        "received": len(numbers),
        "distinct_senders": len(set(numbers)),
        "with_receipt": with_receipt,
    }


# ---------------------------------------------------------------- summary


def summarise(
    *,
    options: Settings,
    setup: dict[str, Any],
    delivery: dict[str, Any],
    baselines: tuple[tuple[dict[str, Any], dict[str, Any]], tuple[dict[str, Any], dict[str, Any]]],
    ingest: dict[str, Any],
    stored: dict[str, Any],
    replies: dict[str, Any],
    profile: dict[str, Any],
) -> dict[str, Any]:
    (kdf_before, clean_before), (kdf_after, clean_after) = baselines
    kdf = bracket_kdf(kdf_before, kdf_after)
    clean_samples = clean_before["wall_samples_ms"] + clean_after["wall_samples_ms"]
    argon2, clean = float(kdf["seconds"]), statistics.median(clean_samples) / 1000
    cores = os.cpu_count() or 1
    limit = cores / (argon2 + clean)
    rate = ingest["reports"] / ingest["seconds"] if ingest["seconds"] > 0 else 0.0
    delivered = delivery["delivered"]
    lost = delivered - stored["distinct_messages"]
    duplicated = stored["reports"] - stored["distinct_messages"]
    ratio = rate / limit
    # With Argon2id at the rate measured for derivations running on every core at once.
    parallel_limit = 1 / (1 / float(kdf["parallel_per_s"]) + clean / cores)
    return {
        "messages": delivered,
        "messages_per_s": round(rate, 3),
        "lost": lost,
        "duplicated": duplicated,
        "cores": cores,
        "limit_ratio": round(ratio, 3),
        "limit_per_s": round(limit, 3),
        "target_limit_ratio": TARGET_RATIO,
        # A run whose machine changed speed under it judges nothing (see drift_warning).
        "target_met": ratio >= TARGET_RATIO and lost == 0 and duplicated == 0 and not kdf["drifted"],
        "limit_per_s_with_parallel_argon2": round(parallel_limit, 3),
        "limit_ratio_vs_parallel_argon2": round(rate / parallel_limit, 3),
        # The limit_ratio of an intake doing nothing but the deliberate work, with every
        # derivation at the rate they reach on every core at once on this host.
        "limit_ratio_of_parallel_argon2": round(parallel_limit / limit, 3),
        "argon2_seconds": argon2,
        "metadata_removal_seconds": round(clean, 4),
        "kdf_cost": setup["kdf_cost"],
        "argon2": kdf,
        "metadata_removal": {
            "median_ms": round(clean * 1000, 2),
            "cpu_median_ms": round(statistics.median([clean_before["cpu_median_ms"], clean_after["cpu_median_ms"]]), 2),
            "runs": len(clean_samples),
            "before_load": clean_before,
            "after_load": clean_after,
        },
        "ingest": ingest,
        "stored_check": stored,
        "replies": replies,
        "delivery": delivery,
        "where_time_goes_ms": where_time_goes(profile, ingest["cpu"] | {"messages_per_s": rate}, argon2, clean),
        "profile": profile,
        "deployment": {
            key: setup[key] for key in ("kdf_slots", "mail_threads", "mail_poll_seconds", "clean_dir", "mat2_warm")
        }
        | {"kdf_cost_setting": setup["kdf_cost_setting"]},
        "options": {
            "messages": options.messages,
            "profile_messages": options.profile_messages,
            "threads": options.threads,
        },
    }


def where_time_goes(profile: dict[str, Any], cpu: dict[str, Any], argon2: float, clean: float) -> dict[str, Any]:
    """Where the time of one message goes, in ms.

    ``machine`` splits the core time one message took during the ingest (cores ÷ messages
    per second) between the worker, Dovecot, the SMTP server and watcher of this benchmark,
    other processes and idle cores. ``worker`` splits the worker's CPU, from the in-process
    ``poll`` of the profile step: the derivations (running two at once), mat2 in its
    sandbox, and the Python around them. ``limit`` is what the limit counts per message.
    """
    parts = profile["parts"]
    rate = float(cpu["messages_per_s"])
    cores = os.cpu_count() or 1
    per_message = cores * 1000 / rate if rate else 0.0
    machine_ms = {
        "worker": cpu["per_message_ms"]["worker"],
        "dovecot": cpu["per_message_ms"]["dovecot"],
        "smtp_sink_and_watcher": cpu["per_message_ms"]["smtp_sink_and_watcher"],
        "other_processes": round(cpu["foreign_cpu_fraction"] * per_message, 1),
        "idle": round(cpu["idle_fraction"] * per_message, 1),
    }
    argon2_cpu = parts["argon2id"]["thread_cpu_ms"]
    cleanings = parts["metadata_removal"]["calls"]
    cold = parts.get("metadata_removal_cold_sandbox", {"calls": 0})["calls"]
    worker_ms = {
        "argon2id_cpu": argon2_cpu,
        "metadata_removal_mat2_cpu": profile["mat2_children_cpu_ms_per_message"],
        "python_cpu": round(profile["process_cpu_ms_per_message"] - argon2_cpu, 1),
        "of_which_parse_mail": parts["parse_mail"]["thread_cpu_ms"],
        "of_which_reply_smtp": parts["reply_smtp"]["thread_cpu_ms"],
        "of_which_metadata_removal_in_worker": parts["metadata_removal"]["thread_cpu_ms"],
        "of_which_encrypt_store_original": parts["encrypt_store_original"]["thread_cpu_ms"],
    }
    return {
        "machine_ms_per_message": round(per_message, 1),
        "machine": machine_ms,
        "worker": worker_ms,
        "cleanings_in_a_sandbox_of_their_own": f"{cold} of {cleanings}",
        "limit": {"argon2id_alone": round(argon2 * 1000, 1), "metadata_removal_alone": round(clean * 1000, 1)},
        "limit_ms_per_message_at_target": round((argon2 + clean) * 1000 / TARGET_RATIO, 1),
    }


def print_summary(output: dict[str, Any]) -> None:
    verdict = verdict_of(output["target_met"], output["argon2"])
    print(
        f"\nMailbox — {output['messages']} mails of {TEXT_CHARS:,} characters and a "
        f"{output['delivery'].get('jpeg_bytes', JPEG_BYTES) // 1024} KB JPEG, taken in by one `tipline worker` "
        f"({output['deployment']['mail_threads']} threads) on {output['cores']} cores"
    )
    rows = [
        ["messages per second", output["messages_per_s"]],
        ["limit: cores ÷ (Argon2id + metadata removal)", output["limit_per_s"]],
        ["one Argon2id (ms)", round(output["argon2_seconds"] * 1000, 1)],
        ["one metadata removal (ms)", round(output["metadata_removal_seconds"] * 1000, 1)],
        ["limit_ratio", output["limit_ratio"]],
        ["limit with Argon2id at its parallel rate", output["limit_per_s_with_parallel_argon2"]],
        ["ratio to that", output["limit_ratio_vs_parallel_argon2"]],
        ["limit_ratio of the deliberate work alone at that rate", output["limit_ratio_of_parallel_argon2"]],
        ["lost / duplicated", f"{output['lost']} / {output['duplicated']}"],
        ["replies with a receipt", f"{output['replies']['with_receipt']} / {output['messages']}"],
    ]
    print(results.table(["figure", "value"], rows))
    print(f"Target limit_ratio ≥ {TARGET_RATIO}, 0 lost, 0 duplicated: {verdict}")
    stored = output["stored_check"]
    if stored["with_parts_not_taken_in"]:
        print(
            f"{stored['with_parts_not_taken_in']} reports say a part of their mail was not taken in: "
            + "; ".join(f"{text!r} ({count})" for text, count in stored["not_taken_in_said"].items())
        )
    cpu = output["ingest"]["cpu"]
    where = output["where_time_goes_ms"]
    print(
        f"Core time per message {where['machine_ms_per_message']} ms: "
        + ", ".join(f"{k} {v}" for k, v in where["machine"].items())
    )
    print(
        "Worker CPU per message (in-process poll): "
        + ", ".join(f"{k} {v}" for k, v in where["worker"].items())
        + f"; cleanings in a sandbox of their own: {where['cleanings_in_a_sandbox_of_their_own']}"
    )
    print(
        f"The target allows {where['limit_ms_per_message_at_target']} ms of core time per message "
        f"(Argon2id alone {where['limit']['argon2id_alone']} ms, metadata removal alone "
        f"{where['limit']['metadata_removal_alone']} ms)."
    )
    if cpu["foreign_cpu_fraction"] > NOISY:
        print(f"WARNING: other processes used {cpu['foreign_cpu_fraction']:.0%} of the cores during the ingest.")
    if warning := drift_warning(output["argon2"]):
        print(warning)


def parse(argv: list[str]) -> Settings:
    parser = argparse.ArgumentParser(prog="python -m bench mailbox", description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=None, help=f"mails to take in (default {MESSAGES:,})")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_MESSAGES} mails, fewer timings")
    parser.add_argument(
        "--threads", type=int, help="TIPLINE_MAIL_THREADS for the worker (default: the app's, the cores + 1)"
    )
    options = parser.parse_args(argv)
    messages = options.messages or (QUICK_MESSAGES if options.quick else MESSAGES)
    return Settings(
        messages=messages,
        profile_messages=min(PROFILE_MESSAGES, max(20, messages // 4)),
        probe_repeat=3 if options.quick else 7,
        threads=options.threads,
    )


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds the ``with`` blocks: worker, server and Dovecot are stopped


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    options = parse(argv)
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tipline-bench-fixture-") as folder:
        jpeg_path = Path(folder) / "IMG_20260115_093012.jpg"
        size = make_jpeg(jpeg_path, JPEG_BYTES)
        print(f"Fixture: a {size}-byte JPEG with EXIF camera, author and GPS tags, in every mail", flush=True)
        figures = MailboxRun(options, jpeg_path).run()
    figures["delivery"]["jpeg_bytes"] = size
    output: dict[str, Any] = {
        "benchmark": NAME,
        "generated_at": results.now(),
        "cores": os.cpu_count() or 1,
        "machine": results.machine(),
        "app": results.source_version(),
        "setup": {
            "deployment": "as make run: SQLite, local storage, tipline serve and one tipline worker",
            "mailbox": "Dovecot (plain IMAP on 127.0.0.1), mail delivered with dovecot-lda",
            "replies": "Django's SMTP backend to aiosmtpd on 127.0.0.1",
            "text_chars": TEXT_CHARS,
            "poll_seconds": POLL_SECONDS,
            "timed_from": "the claim of the first mailbox.poll job to an empty mailbox with every report stored",
        },
        **figures,
    }
    output["waited_for_quiet_seconds"] = round(QUIET.waited, 1)
    output["duration_seconds"] = round(time.monotonic() - began, 1)
    path = results.write(NAME, output)
    print_summary(output)
    print(f"\nWrote {path} in {output['duration_seconds']} s")
    failed = output["lost"] or output["duplicated"] or not output["ingest"]["finished"]
    return 1 if failed else 0
