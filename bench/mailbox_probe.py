"""In-process steps of the mailbox benchmark, run in a child process with the app's settings.

``python -m bench.mailbox_probe setup|clean|verify|profile ...`` prints one JSON object.

- ``setup``: a mailbox channel reading the benchmark's Dovecot and answering with a
  receipt, with a handler of its own (password from ``TIPLINE_BENCH_HANDLER_PASSWORD``)
  as its recipient, so that ``verify`` can read the reports.
- ``clean``: one metadata removal of a file through the app's own path
  (``cleaning.cleaned_copy``: content type, warm mat2 helper, sandbox), timed.
- ``verify``: every report of the channel opened with the handler's key; the
  message number in each subject tells lost and duplicated messages apart.
- ``profile``: ``mailbox.services.poll`` run here on the mail waiting in the mailbox,
  with the time spent inside the app's functions on the way measured in the same calls.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

CHANNEL_SLUG = "bench-mail"
HANDLER = "bench-handler"
HANDLER_PASSWORD_VARIABLE = "TIPLINE_BENCH_HANDLER_PASSWORD"
SUBJECT = re.compile(r"Bench message (\d+)")


def _django() -> None:
    import django  # noqa: PLC0415 - only here, in the child process

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tipline.settings")
    django.setup()


def setup(imap_url: str, imap_user: str, password_variable: str) -> dict[str, Any]:
    _django()
    from django.conf import settings  # noqa: PLC0415

    from tipline.accounts import services as accounts  # noqa: PLC0415
    from tipline.accounts.models import Role  # noqa: PLC0415
    from tipline.jobs.models import Job  # noqa: PLC0415
    from tipline.register.models import Channel, ChannelKind, MailReply, Report  # noqa: PLC0415

    handler = accounts.create_staff(
        username=HANDLER,
        password=os.environ[HANDLER_PASSWORD_VARIABLE],
        roles=[Role.HANDLER],
        display_name="Benchmark handler",
        validate=False,
    )
    channel = Channel.objects.create(
        slug=CHANNEL_SLUG,
        kind=ChannelKind.MAILBOX,
        name="Report by e-mail",
        email_address="tips@example.org",
        imap_url=imap_url,
        imap_user=imap_user,
        imap_password_env=password_variable,
        mail_reply=MailReply.RECEIPT,
    )
    channel.full_clean()
    channel.recipients.add(handler)
    return {
        "channel_id": channel.pk,
        "database": str(settings.DATABASES["default"]["NAME"]),
        "reports_table": Report._meta.db_table,
        "jobs_table": Job._meta.db_table,
        "kdf_cost": str(settings.TIPLINE_KDF_COST),
        "kdf_cost_setting": os.environ.get("TIPLINE_KDF_COST", "t=3,m=64M (default)"),
        "kdf_slots": settings.TIPLINE_KDF_SLOTS,
        "mail_threads": settings.TIPLINE_MAIL_THREADS,
        "mail_poll_seconds": settings.TIPLINE_MAIL_POLL_SECONDS,
        "clean_dir": str(settings.TIPLINE_CLEAN_DIR),
        "mat2_warm": settings.TIPLINE_MAT2_WARM,
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def clean(path: Path, repeat: int) -> dict[str, Any]:
    """Median wall time of one cleaning (after a warm-up that starts the warm helper), and its CPU
    (this thread, the sandboxes started for one file, and the children the warm helper forked)."""
    _django()
    from tipline.register import cleaning  # noqa: PLC0415

    def one() -> None:
        with cleaning.cleaned_copy(path, path.name) as outcome:
            if outcome.path is None:
                msg = "the JPEG was not cleaned"
                raise RuntimeError(msg)

    def cpu_now() -> float:
        return time.thread_time() + _children_cpu() + cleaning._warm.child_cpu_seconds

    one()
    one()
    walls: list[float] = []
    cpus: list[float] = []
    for _ in range(repeat):
        began, cpu_began = time.perf_counter(), cpu_now()
        one()
        walls.append(time.perf_counter() - began)
        cpus.append(cpu_now() - cpu_began)
    return {
        "seconds": round(statistics.median(walls), 4),
        "median_ms": round(statistics.median(walls) * 1000, 2),
        "min_ms": round(min(walls) * 1000, 2),
        "max_ms": round(max(walls) * 1000, 2),
        "cpu_median_ms": round(statistics.median(cpus) * 1000, 2),
        "wall_samples_ms": [round(w * 1000, 2) for w in walls],
        "runs": repeat,
        "file_bytes": path.stat().st_size,
    }


def verify(channel_id: int, expected: int) -> dict[str, Any]:
    """Lost and duplicated messages, read from the reports themselves (the subject's number)."""
    _django()
    from tipline.accounts import services as accounts  # noqa: PLC0415
    from tipline.accounts.models import StaffUser  # noqa: PLC0415
    from tipline.register import keyring  # noqa: PLC0415
    from tipline.register import services as register  # noqa: PLC0415
    from tipline.register.models import Attachment, Report  # noqa: PLC0415

    handler = StaffUser.objects.get(username=HANDLER)
    private = accounts.unlock_private_key(user=handler, password=os.environ[HANDLER_PASSWORD_VARIABLE])
    numbers: Counter[int] = Counter()
    unreadable = 0
    left_out: Counter[str] = Counter()
    text_chars: list[int] = []
    reports = Report.objects.filter(channel_id=channel_id)
    for report in reports:
        key = keyring.open_report_key(report=report, user=handler, private_key=private)
        answers = {question["key"]: value for question, value in register.read_answers(report=report, report_key=key)}
        match = SUBJECT.fullmatch(str(answers.get("subject", "")))
        text_chars.append(len(str(answers.get("message", ""))))
        if answers.get("not_taken_in"):
            left_out[str(answers["not_taken_in"])] += 1
        if match is None:
            unreadable += 1
        else:
            numbers[int(match.group(1))] += 1
    attachments = Attachment.objects.filter(report__channel_id=channel_id)
    missing = sorted(set(range(expected)) - set(numbers))
    return {
        "reports": reports.count(),
        "distinct_messages": len(numbers),
        "reports_without_a_bench_subject": unreadable,
        "missing_numbers_first": missing[:20],
        "numbers_twice_first": sorted(n for n, c in numbers.items() if c > 1)[:20],
        "quarantined": reports.exclude(quarantine="").count(),
        "with_parts_not_taken_in": left_out.total(),
        "not_taken_in_said": dict(left_out.most_common(3)),
        "message_chars_median": statistics.median(text_chars) if text_chars else 0,
        "attachments_sent_cleaned": attachments.filter(state=Attachment.State.SENT).count(),
        "attachments_held_uncleaned": attachments.filter(state=Attachment.State.HELD).count(),
        "with_source_kept": reports.exclude(source_blob="").count(),
    }


# ---------------------------------------------------------------- profile


class _Parts:
    """Wall and thread CPU time spent inside chosen app functions, from every thread.

    The wrappers live only in this probe process; the app is not changed. Nested parts
    (Argon2id inside ``create_report``) are each counted whole.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def wrap(self, owner: Any, attribute: str, label: str) -> None:
        original: Callable[..., Any] = getattr(owner, attribute)

        def timed(*args: Any, **kwargs: Any) -> Any:
            began, cpu_began = time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                wall, cpu = time.perf_counter() - began, time.thread_time() - cpu_began
                with self.lock:
                    self.wall[label] = self.wall.get(label, 0.0) + wall
                    self.cpu[label] = self.cpu.get(label, 0.0) + cpu
                    self.calls[label] = self.calls.get(label, 0) + 1

        setattr(owner, attribute, timed)

    def per_message(self, messages: int) -> dict[str, dict[str, float]]:
        return {
            label: {
                "wall_ms": round(self.wall[label] * 1000 / messages, 2),
                "thread_cpu_ms": round(self.cpu[label] * 1000 / messages, 2),
                "calls": self.calls[label],
            }
            for label in self.wall
        }


def profile(channel_id: int) -> dict[str, Any]:
    """Take in the waiting mail with ``poll`` (the worker's threads), timing its parts."""
    _django()
    from django.conf import settings  # noqa: PLC0415

    from tipline.crypto import kdf  # noqa: PLC0415
    from tipline.mailbox import imap, parsing  # noqa: PLC0415
    from tipline.mailbox import services as mailbox  # noqa: PLC0415
    from tipline.register import cleaning  # noqa: PLC0415
    from tipline.register import services as register  # noqa: PLC0415
    from tipline.register.models import Channel  # noqa: PLC0415
    from tipline.register.services import submission  # noqa: PLC0415

    parts = _Parts()
    parts.wrap(imap.Mailbox, "fetch", "imap_fetch (poll's thread)")
    parts.wrap(imap.Mailbox, "remove", "imap_remove (poll's thread)")
    parts.wrap(mailbox, "take_in", "take_in (whole, pool thread)")
    parts.wrap(parsing, "parse", "parse_mail")
    parts.wrap(mailbox, "source_digest", "source_digest")
    parts.wrap(register, "create_report", "create_report (whole)")
    parts.wrap(kdf, "derive", "argon2id")
    parts.wrap(submission, "store_attachments", "clean_encrypt_store_jpeg")
    parts.wrap(cleaning, "_run_mat2", "metadata_removal")
    parts.wrap(cleaning, "_clean_once", "metadata_removal_cold_sandbox")
    parts.wrap(submission, "store_source", "encrypt_store_original")
    parts.wrap(mailbox, "_reply", "reply_smtp")
    channel = Channel.objects.get(pk=channel_id)
    children_before, helper_before = _children_cpu(), cleaning._warm.child_cpu_seconds
    process_before = time.process_time()
    began = time.perf_counter()
    summary = mailbox.poll(channel=channel)
    elapsed = time.perf_counter() - began
    taken = summary.taken + summary.quarantined + summary.already_taken
    if not taken:
        msg = f"nothing was taken in: {summary}"
        raise RuntimeError(msg)
    return {
        "threads": settings.TIPLINE_MAIL_THREADS,
        "taken": summary.taken,
        "quarantined": summary.quarantined,
        "already_taken": summary.already_taken,
        "failed": summary.failed,
        "seconds": round(elapsed, 3),
        "messages_per_s": round(taken / elapsed, 3),
        "wall_ms_per_message": round(elapsed * 1000 / taken, 2),
        "process_cpu_ms_per_message": round((time.process_time() - process_before) * 1000 / taken, 2),
        "mat2_children_cpu_ms_per_message": round(
            (_children_cpu() - children_before + cleaning._warm.child_cpu_seconds - helper_before) * 1000 / taken, 2
        ),
        "parts": parts.per_message(taken),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mailbox_probe")
    sub = parser.add_subparsers(dest="probe", required=True)
    setup_parser = sub.add_parser("setup")
    setup_parser.add_argument("--imap-url", required=True)
    setup_parser.add_argument("--imap-user", required=True)
    setup_parser.add_argument("--password-variable", required=True)
    clean_parser = sub.add_parser("clean")
    clean_parser.add_argument("--file", type=Path, required=True)
    clean_parser.add_argument("--repeat", type=int, default=7)
    verify_parser = sub.add_parser("verify")
    verify_parser.add_argument("--channel", type=int, required=True)
    verify_parser.add_argument("--expected", type=int, required=True)
    profile_parser = sub.add_parser("profile")
    profile_parser.add_argument("--channel", type=int, required=True)
    options = parser.parse_args(argv)
    if options.probe == "setup":
        output = setup(options.imap_url, options.imap_user, options.password_variable)
    elif options.probe == "clean":
        output = clean(options.file, options.repeat)
    elif options.probe == "verify":
        output = verify(options.channel, options.expected)
    else:
        output = profile(options.channel)
    json.dump(output, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
