from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tipline.register.uploads import sweep_left_behind


class Command(BaseCommand):
    help = "Serve Tipline with granian (WSGI). Access logging stays off: reporters leave no address."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("TIPLINE_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("TIPLINE_PORT", "8000")))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("TIPLINE_WORKERS", str(os.cpu_count() or 1)))
        )
        parser.add_argument("--threads", type=int, default=int(os.environ.get("TIPLINE_THREADS", "8")))

    def handle(self, *args: Any, **options: Any) -> None:
        # Uploads a killed server left in the memory-backed folder go before anyone is served.
        sweep_left_behind()
        argv = [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            "--host",
            options["host"],
            "--port",
            str(options["port"]),
            "--workers",
            str(options["workers"]),
            "--blocking-threads",
            str(options["threads"]),
            "--no-ws",
            "--no-access-log",
            "--respawn-failed-workers",
            # A worker still loading the app when told to stop can hang in granian; after
            # this many seconds it is killed, so a stop (systemd, Ctrl-C) always ends.
            "--workers-kill-timeout",
            "10",
            "tipline.wsgi:application",
        ]
        sys.stdout.flush()
        os.execv(sys.executable, argv)  # noqa: S606 - replace this process with the server
