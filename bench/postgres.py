"""A throwaway PostgreSQL on 127.0.0.1 for a benchmark: initdb in a temporary folder, stopped after.

As root the server runs as the ``postgres`` user (``runuser``), as the
recipe in ``/work/shared/RECIPES.md`` does; otherwise as the current user.
The role ``tipline`` (password ``tipline``, CREATEDB) owns the databases.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.processes import Service

HOST = "127.0.0.1"
ROLE = "tipline"
START_TIMEOUT_SECONDS = 60


def postgres_bin() -> Path:
    """The newest ``/usr/lib/postgresql/<version>/bin`` with ``initdb``."""
    found = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not found:
        msg = "PostgreSQL is not installed (Debian package postgresql)"
        raise RuntimeError(msg)
    return found[-1]


class ThrowawayPostgres(Service):
    """Use as a context manager; ``url(name)`` after ``create_database(name)``."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.bin = postgres_bin()
        self.root = Path(tempfile.mkdtemp(prefix="tipline-bench-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sock"
        self.log = self.root / "pg.log"
        self.as_root = os.geteuid() == 0
        self.started = False

    def _run(self, *command: str) -> str:
        argv = ["runuser", "-u", "postgres", "--", *command] if self.as_root else list(command)
        result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
        if result.returncode != 0:
            msg = f"{' '.join(command[:2])} failed:\n{result.stdout}{result.stderr}{self.log_tail()}"
            raise RuntimeError(msg)
        return result.stdout

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def __enter__(self) -> ThrowawayPostgres:
        try:
            self.sockets.mkdir()
            if self.as_root:
                shutil.chown(self.root, "postgres", "postgres")
                shutil.chown(self.sockets, "postgres", "postgres")
            initdb = str(self.bin / "initdb")
            self._run(initdb, "-D", str(self.data), "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "-A", "trust")
            options = f"-c listen_addresses={HOST} -p {self.port} -k {self.sockets}"
            pg_ctl = str(self.bin / "pg_ctl")
            timeout = str(START_TIMEOUT_SECONDS)
            self._run(pg_ctl, "-D", str(self.data), "-l", str(self.log), "-w", "-t", timeout, "-o", options, "start")
            self.started = True
            self.sql(f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{ROLE}'")
        except BaseException:
            self.stop()
            raise
        return self

    def sql(self, statement: str, database: str = "postgres") -> str:
        psql = str(self.bin / "psql")
        return self._run(
            psql, "-h", str(self.sockets), "-p", str(self.port), "-U", "postgres", "-d", database, "-qAtc", statement
        )

    def create_database(self, name: str) -> str:
        """A fresh database owned by ``tipline``; returns its ``TIPLINE_DATABASE_URL``."""
        self.sql(f'DROP DATABASE IF EXISTS "{name}"')
        self.sql(f'CREATE DATABASE "{name}" OWNER {ROLE}')
        return f"postgres://{ROLE}:{ROLE}@{HOST}:{self.port}/{name}"

    def drop_database(self, name: str) -> None:
        self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def version(self) -> str:
        return self.sql("SHOW server_version").strip()

    def stop(self) -> None:
        if self.started:
            self.started = False
            pg_ctl = str(self.bin / "pg_ctl")
            try:
                self._run(pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "stop")
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                print(f"warning: PostgreSQL did not stop cleanly: {error}", file=sys.stderr)
        shutil.rmtree(self.root, ignore_errors=True)
