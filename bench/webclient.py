"""A cheap HTTP/1.1 client for load: one keep-alive connection and one cookie jar per user.

The app marks its cookies ``Secure`` (production default) while the benchmark
talks plain HTTP on 127.0.0.1, so cookies are kept here by name and sent back
whatever their attributes say, as the brief allows for a local benchmark.
"""

from __future__ import annotations

import html.parser
import http.client
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

TIMEOUT_SECONDS = 300.0
IDLE_RECONNECT_SECONDS = 2.0


@dataclass(frozen=True)
class Response:
    status: int
    location: str
    body: bytes


@dataclass(frozen=True)
class FilePart:
    field: str
    filename: str
    content_type: str
    data: bytes


class CookieJar:
    """Name -> value; a ``Set-Cookie`` with an empty value or ``Max-Age=0`` deletes."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def update(self, headers: Iterable[str]) -> None:
        for header in headers:
            first, _, attributes = header.partition(";")
            name, _, value = first.strip().partition("=")
            expired = "max-age=0" in attributes.replace(" ", "").lower()
            if expired or not value:
                self.values.pop(name, None)
            else:
                self.values[name] = value

    def keep_only(self, names: Iterable[str]) -> None:
        wanted = set(names)
        self.values = {k: v for k, v in self.values.items() if k in wanted}

    def header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.values.items())


class WebClient:
    """One virtual user: a persistent connection to the app and its own cookies."""

    def __init__(self, host: str, port: int, source: str | None = None) -> None:
        self.host, self.port = host, port
        self.source_address = (source, 0) if source else None  # a loopback address of its own
        self.jar = CookieJar()
        self._connection: http.client.HTTPConnection | None = None
        self._last_used = 0.0

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str = "") -> Response:
        if time.monotonic() - self._last_used > IDLE_RECONNECT_SECONDS:
            self.close()  # as a browser would, never reuse a connection the server may have timed out
        if self._connection is None:
            self._connection = http.client.HTTPConnection(
                self.host, self.port, timeout=TIMEOUT_SECONDS, source_address=self.source_address
            )
        headers = {"Host": f"{self.host}:{self.port}", "Accept": "text/html"}
        if self.jar.values:
            headers["Cookie"] = self.jar.header()
        if content_type:
            headers["Content-Type"] = content_type
        try:
            self._connection.request(method, path, body=body, headers=headers)
            response = self._connection.getresponse()
            data = response.read()
        except BaseException:
            self.close()
            raise
        self._last_used = time.monotonic()
        self.jar.update(response.msg.get_all("Set-Cookie") or [])
        if response.will_close:
            self.close()
        return Response(response.status, response.getheader("Location", ""), data)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, body: bytes, content_type: str) -> Response:
        return self.request("POST", path, body, content_type)


class _InputFinder(html.parser.HTMLParser):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name, self.value = name, ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("name") == self.name and not self.value:
            self.value = found.get("value") or ""


class _TextById(html.parser.HTMLParser):
    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id, self.depth, self.text = element_id, 0, ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.depth:
            self.depth += 1
        elif dict(attrs).get("id") == self.element_id:
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.text += data


def input_value(page: bytes, name: str) -> str:
    """The ``value`` of the first ``<input name=...>`` of a page ("" if none)."""
    finder = _InputFinder(name)
    finder.feed(page.decode("utf-8", "replace"))
    return finder.value


def text_of(page: bytes, element_id: str) -> str:
    """The text inside the element with ``id=element_id`` ("" if none)."""
    finder = _TextById(element_id)
    finder.feed(page.decode("utf-8", "replace"))
    return finder.text.strip()


def multipart(fields: Sequence[tuple[str, str]], files: Sequence[FilePart] = ()) -> tuple[str, bytes]:
    """A ``multipart/form-data`` body as a browser sends it; returns (content type, body)."""
    boundary = "----TiplineBench" + secrets.token_hex(12)
    parts: list[bytes] = []
    for name, value in fields:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode() + b"\r\n"
        )
    for part in files:
        head = (
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="{part.field}"; filename="{part.filename}"\r\n'
            f"Content-Type: {part.content_type}\r\n\r\n"
        )
        parts.append(head.encode() + part.data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


def urlencoded(fields: Sequence[tuple[str, str]]) -> tuple[str, bytes]:
    return "application/x-www-form-urlencoded", urlencode(list(fields)).encode()
