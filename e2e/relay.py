"""A TCP relay that lets the reporter's browser reach the server from an address of its own.

Every party in the tests runs on this machine, so the server would see
127.0.0.1 for everyone. Through the relay, the reporter's connections arrive
from a unique loopback address (127.x.y.z, all of 127/8 is local on Linux):
if that address shows up in a log or a database dump, it can only have come
from the reporter's requests. The relay also keeps what the browser sent, so
a test can prove the server was really handed a marker it must not keep.
"""

from __future__ import annotations

import socket
import threading
from contextlib import suppress

_CHUNK = 64 * 1024


class ReporterRelay:
    def __init__(self, *, upstream_port: int, source_address: str) -> None:
        self.upstream_port = upstream_port
        self.source_address = source_address
        self.addresses_seen_by_server: set[str] = set()
        self._sent = bytearray()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_forever, name="reporter-relay", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def sent_to_server(self) -> bytes:
        """Every byte the browser sent through the relay (request lines, headers, form bodies)."""
        with self._lock:
            return bytes(self._sent)

    def _accept_forever(self) -> None:
        while True:
            try:
                browser_side, _ = self._listener.accept()
            except OSError:
                return  # closed
            try:
                server_side = socket.create_connection(
                    ("127.0.0.1", self.upstream_port), source_address=(self.source_address, 0)
                )
            except OSError:
                browser_side.close()
                continue
            with self._lock:
                self.addresses_seen_by_server.add(server_side.getsockname()[0])
                self._sockets += [browser_side, server_side]
            for source, target, record in ((browser_side, server_side, True), (server_side, browser_side, False)):
                threading.Thread(target=self._pump, args=(source, target, record), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, record: bool) -> None:
        try:
            while data := source.recv(_CHUNK):
                if record:
                    with self._lock:
                        self._sent += data
                target.sendall(data)
        except OSError:
            pass
        finally:
            with suppress(OSError):
                target.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        with suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone does not
        self._listener.close()
        with self._lock:
            for connection in self._sockets:
                with suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)  # wakes the pumps blocked in recv()
                connection.close()
        self._thread.join(timeout=5)
