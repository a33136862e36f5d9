"""Kill a web worker and the job worker with SIGKILL while reporters submit: every receipt
that was shown opens its report afterwards (issue 11). A receipt is shown only after its
report is committed, so a crash can lose a request in flight, never an acknowledged one."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest

from e2e import seed
from e2e.server import TIPLINE, Deployment

pytestmark = pytest.mark.e2e

REPORTERS = 16
HIDDEN = re.compile(rb'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


class Reporter:
    """One reporter on a connection of their own, from an address of their own."""

    def __init__(self, port: int, number: int) -> None:
        self.port, self.source = port, f"127.0.9.{number + 1}"
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, fields: dict[str, str] | None = None) -> tuple[int, str, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60, source_address=(self.source, 0))
        headers = {"Connection": "close", "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if fields is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(fields)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location", ""), data

    def submit(self) -> str | None:
        """Send a report; the receipt shown, or None when the request was lost."""
        form_path = f"/report/{seed.CHANNEL_SLUG}/"
        try:
            _, _, page = self.request("GET", form_path)
            fields = {name.decode(): value.decode() for name, value in HIDDEN.findall(page)}
            fields |= {"q_what": f"Kill test from {self.source}", "q_kind": seed.KIND_CHOICES[0]}
            status, location, _ = self.request("POST", form_path, fields)
            if status != 302:
                return None
            _, _, receipt_page = self.request("GET", location)
        except (OSError, http.client.HTTPException):
            return None  # the worker died under this request: no receipt was shown
        found = re.search(rb'id="receipt">([\d ]+)<', receipt_page)
        return found.group(1).decode() if found else None

    def opens(self, receipt: str) -> bool:
        self.cookies.clear()
        _, _, page = self.request("GET", "/portal/")
        fields = {name.decode(): value.decode() for name, value in HIDDEN.findall(page)} | {"receipt": receipt}
        status, location, _ = self.request("POST", "/portal/", fields)
        return status == 302 and location.endswith("/portal/report/")


def test_every_receipt_shown_opens_after_workers_are_killed(deployment: Deployment) -> None:
    server = deployment.server
    assert server.process is not None
    worker = subprocess.Popen(
        [str(TIPLINE), "worker"],
        env=server.environment(),
        cwd=server.workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    reporters = [Reporter(server.port, number) for number in range(REPORTERS)]
    started = threading.Event()

    def submit(reporter: Reporter) -> list[str]:
        """Two reports one after the other: the kill falls among them (and one worker may
        have taken every connection of the moment, so the second is sent after it)."""
        started.set()
        return [receipt for receipt in (reporter.submit(), reporter.submit()) if receipt]

    try:
        with ThreadPoolExecutor(max_workers=REPORTERS) as pool:
            futures = [pool.submit(submit, reporter) for reporter in reporters]
            started.wait(30)
            time.sleep(0.3)  # let submissions reach the workers
            web_workers = _children(server.process.pid)
            assert web_workers, "granian has worker processes"
            os.kill(web_workers[0], signal.SIGKILL)
            worker.send_signal(signal.SIGKILL)
            receipts = [future.result() for future in futures]
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.wait(10)
    shown = [(reporter, receipt) for reporter, theirs in zip(reporters, receipts, strict=True) for receipt in theirs]
    assert shown, "some reports were acknowledged"
    deadline = time.monotonic() + 30  # granian starts a new worker for the one killed
    while len(_children(server.process.pid)) < len(web_workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    unopened = [receipt for reporter, receipt in shown if not reporter.opens(receipt)]
    assert unopened == [], f"{len(unopened)} of {len(shown)} receipts shown did not open"
