"""Receipt attempts are limited across every server process and machine, not per process."""

from __future__ import annotations

import http.client
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest

from e2e import server as e2e_server
from e2e.server import Deployment, TiplineServer

pytestmark = pytest.mark.e2e

ATTEMPTS = 10  # TIPLINE_RECEIPT_ATTEMPTS, the default the e2e server runs with
SOURCE = "127.0.0.3"  # an address of its own (the journey's relay uses 127.x.y.z with x ≥ 10)


def _request(port: int, method: str, body: str = "", cookie: str = "") -> http.client.HTTPResponse:
    """One request on a connection of its own, so the server's processes share the attempts."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(SOURCE, 0))
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Connection": "close"}
    if cookie:
        headers["Cookie"] = cookie
    connection.request(method, "/portal/", body=body, headers=headers)
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


@pytest.fixture
def other_machine(deployment: Deployment) -> Iterator[TiplineServer]:
    """A second server on the same database that shares no memory folder with the first."""
    server = e2e_server.second_server(deployment.server)
    assert server.clean_dir != deployment.server.clean_dir
    try:
        server.start()
        yield server
    finally:
        server.stop()  # not close(): the database is the deployment's
        shutil.rmtree(server.clean_dir, ignore_errors=True)


def test_wrong_receipts_are_counted_once_for_every_process_and_machine(
    deployment: Deployment, other_machine: TiplineServer
) -> None:
    assert e2e_server.WORKERS > 1, "the point is several processes"
    ports = [deployment.server.port, other_machine.port]
    page = _request(ports[0], "GET")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)  # type: ignore[attr-defined]
    cookie = re.search(r"csrftoken=([^;]+)", page.getheader("Set-Cookie", ""))
    assert page.status == 200
    assert token
    assert cookie
    body = urlencode({"csrfmiddlewaretoken": token.group(1).decode(), "receipt": "0000 1111 2222 3333"})

    def attempt(number: int) -> int:
        return _request(ports[number % 2], "POST", body, f"csrftoken={cookie.group(1)}").status

    # All at once and to both machines, so that every process of each takes a share of them
    # (one process answering them all would let a per-process count pass unseen).
    total = 3 * ATTEMPTS
    with ThreadPoolExecutor(max_workers=total) as pool:
        statuses = sorted(pool.map(attempt, range(total)))
    admitted = ATTEMPTS + e2e_server.RECEIPT_OVERFLOW
    assert statuses == [403] * admitted + [429] * (total - admitted), statuses
