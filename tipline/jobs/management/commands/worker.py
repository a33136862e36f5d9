from __future__ import annotations

import argparse
import signal
import threading
from datetime import timedelta
from importlib import import_module
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tipline.jobs import services


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 86400:  # one day
        msg = f"expected seconds between 0 and 86400, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


class Command(BaseCommand):
    help = (
        "Run background jobs (reminders, notifications, purges) until SIGTERM or SIGINT; "
        "the job in hand is finished first. A second signal aborts it (it is retried after its lease)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="run the jobs that are due now, then exit (cron, tests)"
        )
        parser.add_argument("--poll", type=_positive_seconds, default=1.0, help="seconds between looks when idle")
        parser.add_argument(
            "--lease",
            type=_positive_seconds,
            default=60.0,
            help="seconds a silent worker keeps a job (renewed while it runs)",
        )
        parser.add_argument(
            "--import", dest="modules", action="append", default=[], metavar="MODULE",
            help="also import MODULE to register its job handlers (plug-ins, tests)",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        for module in options["modules"]:
            import_module(module)
        stop = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            if stop.is_set():
                raise KeyboardInterrupt
            stop.set()

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            ran = services.work(
                stop=stop,
                drain=options["once"],
                poll_seconds=options["poll"],
                lease=timedelta(seconds=options["lease"]),
            )
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if options["verbosity"] > 1:
            self.stdout.write(f"Ran {ran} jobs.")
