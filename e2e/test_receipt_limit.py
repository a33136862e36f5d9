"""Wrong receipts are limited across the server's processes, not per process."""

from __future__ import annotations

import http.client
import re
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlencode

import pytest

from e2e import server as e2e_server
from e2e.server import Deployment

pytestmark = pytest.mark.e2e

ATTEMPTS = 10  # TIPLINE_RECEIPT_ATTEMPTS, the default the e2e server runs with
SOURCE = "127.0.0.3"  # an address of its own (the journey's relay uses 127.x.y.z with x ≥ 10)


def _request(deployment: Deployment, method: str, body: str = "", cookie: str = "") -> http.client.HTTPResponse:
    """One request on a connection of its own, so the server's processes share the attempts."""
    connection = http.client.HTTPConnection("127.0.0.1", deployment.server.port, timeout=60, source_address=(SOURCE, 0))
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Connection": "close"}
    if cookie:
        headers["Cookie"] = cookie
    connection.request(method, "/portal/", body=body, headers=headers)
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


def test_wrong_receipts_are_counted_once_for_every_server_process(deployment: Deployment) -> None:
    assert e2e_server.WORKERS > 1, "the point is several processes"
    page = _request(deployment, "GET")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)  # type: ignore[attr-defined]
    cookie = re.search(r"csrftoken=([^;]+)", page.getheader("Set-Cookie", ""))
    assert page.status == 200
    assert token
    assert cookie
    body = urlencode({"csrfmiddlewaretoken": token.group(1).decode(), "receipt": "0000 1111 2222 3333"})

    def attempt(_: int) -> int:
        return _request(deployment, "POST", body, f"csrftoken={cookie.group(1)}").status

    # All at once, so that every server process takes a share of them (one after another,
    # one process might answer them all and a per-process count would pass unseen).
    with ThreadPoolExecutor(max_workers=3 * ATTEMPTS) as pool:
        statuses = sorted(pool.map(attempt, range(3 * ATTEMPTS)))
    assert statuses == [403] * ATTEMPTS + [429] * (2 * ATTEMPTS), statuses
