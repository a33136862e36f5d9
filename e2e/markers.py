"""Unique marker strings for one journey, and a search for them in every plausible encoding.

Each marker is ASCII letters and digits only, so it reads the same in UTF-8,
in JSON with ``ensure_ascii`` and in URL encoding; the text around it in the
answers is not ASCII, to take the app's Unicode paths.
"""

from __future__ import annotations

import base64
import binascii
import random
import re
import secrets
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass


def unique(label: str) -> str:
    return f"{label}{secrets.token_hex(8)}"


@dataclass(frozen=True)
class ContentMarkers:
    """What the reporter and the handler write: none of it may rest in clear."""

    what: str
    where: str
    identity: str
    camera_model: str
    file_name: str
    reply: str
    reporter_answer: str
    staff_password: str

    @classmethod
    def new(cls) -> ContentMarkers:
        return cls(
            what=unique("WHATmarker"),
            where=unique("WHEREmarker"),
            identity=unique("IDENTITYmarker"),
            camera_model=unique("CAMERAmarker"),
            file_name=unique("FILENAMEmarker"),
            reply=unique("REPLYmarker"),
            reporter_answer=unique("ANSWERmarker"),
            staff_password=unique("PASSWORDmarker"),
        )

    def by_name(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class ClientTraces:
    """What identifies the reporter's browser: none of it may be logged or stored."""

    address: str  # the reporter's real socket address, as the server sees it (through the relay)
    forwarded_address: str  # sent in X-Forwarded-For, X-Real-IP and Forwarded
    user_agent_marker: str
    referrer_marker: str

    @classmethod
    def new(cls) -> ClientTraces:
        draw = random.SystemRandom().randint
        groups = ":".join(f"{draw(0x1000, 0xFFFF):x}" for _ in range(3))
        return cls(
            address=f"127.{draw(10, 250)}.{draw(10, 250)}.{draw(10, 250)}",
            forwarded_address=f"2001:db8:{groups}::{draw(0x1000, 0xFFFF):x}",
            user_agent_marker=unique("AGENTmarker"),
            referrer_marker=unique("referrermarker"),
        )

    @property
    def user_agent(self) -> str:
        return f"Mozilla/5.0 (X11; Linux x86_64) Chrome/140.0 Safari/537.36 {self.user_agent_marker}"

    @property
    def referrer(self) -> str:
        return f"http://{self.referrer_marker}.example/search?q=whistleblowing"

    @property
    def identifying_headers(self) -> dict[str, str]:
        return {
            "X-Forwarded-For": self.forwarded_address,
            "X-Real-IP": self.forwarded_address,
            "Forwarded": f'for="[{self.forwarded_address}]"',
        }

    def by_name(self) -> dict[str, str]:
        names = asdict(self)
        names["address as hex"] = bytes(int(part) for part in self.address.split(".")).hex()
        return names


# A base64 core shorter than this is noise, not evidence: the four characters left of the
# 8-character "address as hex" at an odd alignment turned up by chance in 0.4 % of databases.
MIN_BASE64_CORE = 8


def _base64_forms(raw: bytes) -> Iterator[bytes]:
    """The marker's base64 text at each of the three alignments, without the edge characters
    that depend on neighbouring bytes; standard and URL-safe alphabets. Alignments that leave
    fewer than ``MIN_BASE64_CORE`` characters are not searched (they match random text)."""
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw)
        core = encoded[4 if shift else 0 : -4]
        if len(core) < MIN_BASE64_CORE:
            continue
        yield core
        yield core.replace(b"+", b"-").replace(b"/", b"_")


def encoded_forms(text: str) -> dict[str, bytes]:
    raw = text.encode()
    forms = {
        "UTF-8": raw,
        "UTF-16-LE": text.encode("utf-16-le"),
        "UTF-16-BE": text.encode("utf-16-be"),
        "hex": raw.hex().encode(),
        "HEX": raw.hex().upper().encode(),
    }
    for number, form in enumerate(_base64_forms(raw)):
        forms[f"base64 variant {number}"] = form
    return forms


_SIGNED_VALUE = re.compile(rb"(\.?)([A-Za-z0-9_-]{16,}):[A-Za-z0-9_-]+:[A-Za-z0-9_-]{20,}")


def decoded_signed_values(blob: bytes) -> Iterator[bytes]:
    """Payloads of Django-signed values (sessions, signed cookies): base64, maybe zlib, never encrypted."""
    for match in _SIGNED_VALUE.finditer(blob):
        compressed, payload = match.groups()
        try:
            data = base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4))
            yield zlib.decompress(data) if compressed else data
        except (binascii.Error, ValueError, zlib.error):
            continue


def find_leaks(places: Mapping[str, bytes], secrets_by_name: Mapping[str, str]) -> list[str]:
    """Where each secret occurs, in any plausible encoding; empty when nothing leaked."""
    findings = []
    for place, blob in places.items():
        decoded = b"\n".join(decoded_signed_values(blob))
        for name, secret in secrets_by_name.items():
            for form_name, form in encoded_forms(secret).items():
                if form in blob:
                    findings.append(f"{name} ({secret}) in {form_name} in {place}")
                if form in decoded:
                    findings.append(f"{name} ({secret}) in {form_name} inside a signed value in {place}")
    return findings
