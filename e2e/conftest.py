"""Fixtures for the journeys: Chromium, a real server per database backend, one completed journey each.

The PostgreSQL runs need ``TIPLINE_TEST_PG_URL`` (a role that may create
databases) and fail without it; ``tools/run-tests.sh e2e`` provides it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from e2e import seed
from e2e.authenticator import Authenticator
from e2e.journey import Journey, run_journey
from e2e.markers import ClientTraces, ContentMarkers, unique
from e2e.relay import ReporterRelay
from e2e.server import Database, Deployment, PostgresDatabase, SqliteDatabase, collect_static, new_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def static_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return collect_static(target=tmp_path_factory.mktemp("collected"))


def _postgres_bin() -> Path:
    if configured := os.environ.get("TIPLINE_TEST_PGBIN"):
        return Path(configured)
    if found := shutil.which("pg_dump"):
        return Path(found).parent
    pytest.fail("TIPLINE_TEST_PGBIN is not set and pg_dump is not on PATH", pytrace=False)


def _new_database(backend: str, workdir: Path) -> Database:
    if backend == "sqlite":
        return SqliteDatabase(workdir / "tipline.sqlite3")
    admin_url = os.environ.get("TIPLINE_TEST_PG_URL")
    if not admin_url:
        pytest.fail(
            "TIPLINE_TEST_PG_URL is not set: the PostgreSQL journeys cannot run. "
            "Use tools/run-tests.sh e2e, which starts a throwaway PostgreSQL.",
            pytrace=False,
        )
    return PostgresDatabase.create(admin_url=admin_url, pg_bin=_postgres_bin())


@pytest.fixture(scope="session", params=BACKENDS)
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, static_dir: Path
) -> Iterator[Deployment]:
    """A migrated, seeded server on its own data folder and database, serving on a free port."""
    backend: str = request.param
    workdir = tmp_path_factory.mktemp(f"e2e-{backend}")
    server = new_server(backend=backend, database=_new_database(backend, workdir), workdir=workdir)
    staff_password = unique("PASSWORDmarker")
    authenticators = {username: Authenticator() for username in seed.STAFF}
    public_note = f"Tell us in confidence. {unique('PUBLICnote')}"
    try:
        server.prepare(
            static_dir=static_dir,
            staff_password=staff_password,
            channel_description=public_note,
            authenticator_keys={username: app.key_hex for username, app in authenticators.items()},
        )
        server.start()
        yield Deployment(
            server=server, staff_password=staff_password, authenticators=authenticators, public_note=public_note
        )
    finally:
        server.close()


@pytest.fixture(scope="session")
def journey(deployment: Deployment, browser: Browser) -> Iterator[Journey]:
    """One full conversation on the deployment; the reporter comes through a relay from a unique address."""
    markers, traces = ContentMarkers.new(), ClientTraces.new()
    relay = ReporterRelay(upstream_port=deployment.server.port, source_address=traces.address)
    try:
        try:
            record = run_journey(
                browser=browser,
                server_url=deployment.server.url,
                reporter_url=relay.url,
                staff_password=deployment.staff_password,
                authenticator=deployment.authenticators[seed.HANDLER],
                markers=markers,
                traces=traces,
            )
        except Exception as error:
            error.add_note(deployment.server.log_tail())  # a failed step often has its cause there
            raise
        yield Journey(
            markers=markers,
            traces=traces,
            record=record,
            sent_by_reporter=relay.sent_to_server(),
            reporter_addresses_seen_by_server=set(relay.addresses_seen_by_server),
        )
    finally:
        relay.close()
