"""A real Tipline server on a fresh data folder and a fresh database, started and stopped by the tests."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from e2e.authenticator import Authenticator
from tipline.testing import MEMORY_FOLDER, free_port

REPO_ROOT = Path(__file__).resolve().parent.parent
TIPLINE = Path(sys.executable).with_name("tipline")
KDF_COST = "t=1,m=8M"
WORKERS = 2
THREADS = 4
RECEIPT_OVERFLOW = 5
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0


class Database(Protocol):
    @property
    def url(self) -> str: ...

    def snapshot(self) -> dict[str, bytes]:
        """Every byte of the database an attacker who copies it would hold, by a descriptive name."""
        ...

    def drop(self) -> None: ...


@dataclass(frozen=True)
class SqliteDatabase:
    path: Path

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path}"

    def snapshot(self) -> dict[str, bytes]:
        files = [self.path, *(self.path.with_name(self.path.name + suffix) for suffix in ("-wal", "-shm", "-journal"))]
        return {file.name: file.read_bytes() for file in files if file.exists()}

    def drop(self) -> None:
        """The file goes with the run's temporary folder."""


@dataclass(frozen=True)
class PostgresDatabase:
    url: str
    admin_url: str
    name: str
    pg_dump: Path

    @classmethod
    def create(cls, *, admin_url: str, pg_bin: Path) -> PostgresDatabase:
        """A new, empty database for this run only, next to the one ``admin_url`` names."""
        name = f"tipline_e2e_{secrets.token_hex(4)}"
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        url = urlsplit(admin_url)._replace(path=f"/{name}").geturl()
        return cls(url=url, admin_url=admin_url, name=name, pg_dump=pg_bin / "pg_dump")

    def snapshot(self) -> dict[str, bytes]:
        dump = subprocess.run(
            [str(self.pg_dump), "--no-owner", f"--dbname={self.url}"], capture_output=True, check=True
        )
        return {f"pg_dump of {self.name}": dump.stdout}

    def drop(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name)))


def _tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class TiplineServer:
    backend: str
    port: int
    workdir: Path
    data_dir: Path
    store_dir: Path
    clean_dir: Path
    log_path: Path
    database: Database
    process: subprocess.Popen[bytes] | None = None
    # Settings of this server only (a short idle time for one journey), over the defaults below.
    extra_environment: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        """The server's whole configuration; nothing ``TIPLINE_*`` leaks in from the test process."""
        environment = {name: value for name, value in os.environ.items() if not name.startswith("TIPLINE_")}
        environment.update(
            DJANGO_SETTINGS_MODULE="tipline.settings",
            PYTHONUNBUFFERED="1",
            TIPLINE_DATA_DIR=str(self.data_dir),
            TIPLINE_DATABASE_URL=self.database.url,
            TIPLINE_STORAGE_URL=f"file://{self.store_dir}",
            TIPLINE_CLEAN_DIR=str(self.clean_dir),
            TIPLINE_KDF_COST=KDF_COST,
            TIPLINE_ALLOW_WEAK_KDF="1",
            TIPLINE_SECURE_COOKIES="1",
            TIPLINE_SITE_URL=self.url,
            # Past its own 10 receipt attempts a client goes on while this overflow lasts.
            TIPLINE_RECEIPT_OVERFLOW=str(RECEIPT_OVERFLOW),
            # The journeys' clients must never share a rate-limit bucket.
            TIPLINE_LIMIT_BUCKETS=str(2**40),
        )
        environment.update(self.extra_environment)
        return environment

    def run_command(self, *argv: str, stdin: str | None = None) -> None:
        """Run a command in the server's environment; its output goes to ``setup.log``."""
        setup_log = self.workdir / "setup.log"
        with setup_log.open("ab") as log:
            result = subprocess.run(
                argv,
                input=stdin.encode() if stdin is not None else None,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.environment(),
                cwd=REPO_ROOT,
                check=False,
            )
        if result.returncode != 0:
            msg = f"{' '.join(argv)} exited with {result.returncode}:\n{_tail(setup_log)}"
            raise RuntimeError(msg)

    def prepare(
        self, *, static_dir: Path, staff_password: str, channel_description: str, authenticator_keys: dict[str, str]
    ) -> None:
        """Migrate, install the collected static files, seed staff with a known password and authenticator."""
        self.run_command(str(TIPLINE), "migrate", "--noinput", "-v0")
        shutil.copytree(static_dir, self.data_dir / "static")
        seed_input = json.dumps(
            {
                "password": staff_password,
                "channel_description": channel_description,
                "authenticator_keys": authenticator_keys,
            }
        )
        self.run_command(sys.executable, "-m", "e2e.seed", stdin=seed_input)

    def start(self) -> None:
        argv = [
            str(TIPLINE), "serve", "--host", "127.0.0.1", "--port", str(self.port),
            "--workers", str(WORKERS), "--threads", str(THREADS),
        ]  # fmt: skip
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.environment(),
                cwd=self.workdir,
                start_new_session=True,
            )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        if self.process is None:
            msg = "start() the server first"
            raise RuntimeError(msg)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                msg = f"the server exited with {self.process.returncode}:\n{_tail(self.log_path)}"
                raise RuntimeError(msg)
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            try:
                connection.request("GET", "/")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                connection.close()
            time.sleep(0.2)
        msg = f"the server did not answer within {START_TIMEOUT_SECONDS:.0f} s:\n{_tail(self.log_path)}"
        raise RuntimeError(msg)

    def stop(self) -> None:
        """SIGTERM to granian, then SIGKILL to the process group it leads if it lingers."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)  # workers left behind by a crashed main process

    def close(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.clean_dir, ignore_errors=True)
            self.database.drop()

    def log_bytes(self) -> bytes:
        return self.log_path.read_bytes()

    def log_tail(self) -> str:
        return f"last lines of {self.log_path}:\n{_tail(self.log_path)}"

    def store_files(self) -> dict[str, bytes]:
        """Every file in the attachment store, temporary ones included."""
        return {
            str(path.relative_to(self.store_dir)): path.read_bytes()
            for path in self.store_dir.rglob("*")
            if path.is_file()
        }

    def leftover_clean_files(self) -> list[Path]:
        """Files left in the cleaning folder (uploads and cleaning work must leave none)."""
        return list(self.clean_dir.rglob("*"))


@dataclass(frozen=True)
class Deployment:
    """A running server and what the tests know about its seeded data."""

    server: TiplineServer
    staff_password: str
    authenticators: dict[str, Authenticator]  # by username
    public_note: str  # the channel description, in clear in the database by design


def new_server(*, backend: str, database: Database, workdir: Path) -> TiplineServer:
    """A server not yet prepared or started, with its own data, store and cleaning folders."""
    data_dir = workdir / "data"
    data_dir.mkdir(parents=True)
    # A private TIPLINE_CLEAN_DIR, so leftovers can be seen; memory-backed as in production.
    clean_dir = Path(tempfile.mkdtemp(prefix="tipline-e2e-clean-", dir=MEMORY_FOLDER))
    return TiplineServer(
        backend=backend,
        port=free_port(),
        workdir=workdir,
        data_dir=data_dir,
        store_dir=data_dir / "attachments",
        clean_dir=clean_dir,
        log_path=workdir / "server.log",
        database=database,
    )


def second_server(first: TiplineServer, *, extra_environment: dict[str, str] | None = None) -> TiplineServer:
    """Another machine of the same deployment: same database, attachment store and secrets
    (the data folder), but a memory-backed folder and a process group of its own, and
    optionally settings of its own."""
    workdir = first.workdir / f"second-{secrets.token_hex(3)}"
    workdir.mkdir()
    return TiplineServer(
        backend=first.backend,
        port=free_port(),
        workdir=workdir,
        data_dir=first.data_dir,
        store_dir=first.store_dir,
        clean_dir=Path(tempfile.mkdtemp(prefix="tipline-e2e-clean-", dir=MEMORY_FOLDER)),
        log_path=workdir / "server.log",
        database=first.database,
        extra_environment=dict(extra_environment or {}),
    )


def collect_static(*, target: Path) -> Path:
    """Run ``collectstatic`` once into ``target``; each server gets a copy (it takes seconds)."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("TIPLINE_")}
    environment.update(TIPLINE_DATA_DIR=str(target), TIPLINE_KDF_COST=KDF_COST, TIPLINE_ALLOW_WEAK_KDF="1")
    subprocess.run([str(TIPLINE), "collectstatic", "--noinput", "-v0"], env=environment, cwd=REPO_ROOT, check=True)
    return target / "static"
