"""Helpers shared by the unit tests and the end-to-end journeys; the app never imports them."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import Argon2PasswordHasher

# The memory-backed folder the app cleans uploads in and keeps its client-limits table in
# by default (TIPLINE_CLEAN_DIR); tests, journeys and the bench put their own files there.
MEMORY_FOLDER = Path("/dev/shm")  # noqa: S108 - memory-backed on purpose


class TokenCostArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id at the least cost, for the unit tests only: they set and check staff
    passwords thousands of times, each costing about 0.3 s of the machine at Django's cost.
    Its hashes are ordinary Argon2id hashes (the cost is written in each), and a test pins
    the app's own hasher in settings."""

    time_cost = 1
    memory_cost = 8  # KiB, Argon2's least for one lane
    parallelism = 1


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Mailbox:
    """What a real SMTP server (aiosmtpd) received."""

    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        if not isinstance(message, EmailMessage):
            return "554 Transaction failed: not a message"
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in str(m["To"])]


@dataclass
class SilentAfterData(Mailbox):
    """A server that takes a mail's data, then answers only after ``delay`` seconds (after a
    client with a shorter time-out has given up): the mail may have been delivered."""

    delay: float = 1.5

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        answer = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(self.delay)
        return answer


def database_text() -> bytes:
    """Every value of every table of the default database, as a dump would hold it."""
    from django.db import connection  # noqa: PLC0415 - the journeys import this module without Django set up

    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the schema
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes):
                        found.append(bytes(value))
                    elif value is not None:
                        found.append(str(value).encode())
    return b"\n".join(found)


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        msg = "the message has no plain-text part"
        raise ValueError(msg)
    return str(part.get_content())


@contextmanager
def smtp_server(
    mailbox: Mailbox | None = None, port: int | None = None, *, utf8: bool = False
) -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on 127.0.0.1 for as long as the block runs: its mailbox and port
    (``mailbox`` and ``port`` given: a server started again where one stood). ``utf8``: it
    offers SMTPUTF8 (addresses written beyond ASCII)."""
    from aiosmtpd.controller import Controller  # noqa: PLC0415 - a test-only dependency

    mailbox = mailbox or Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port or free_port(), enable_SMTPUTF8=utf8)
    controller.start()
    try:
        yield mailbox, controller.port
    finally:
        controller.stop()
