"""Proof of reporting: a statement of what the institution received, signed with its
Ed25519 key, which anyone can check against the published public key."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from functools import cache

import nacl.signing
from django.conf import settings
from django.utils import timezone

from tipline.accounts import services as accounts
from tipline.audit import services as audit
from tipline.crypto import signing
from tipline.crypto.errors import DecryptionFailed
from tipline.register.models import Report
from tipline.rewards.exceptions import InvalidStatement

TITLE = "PROOF OF REPORTING"
BEGIN = "-----BEGIN TIPLINE SIGNATURE-----"
END = "-----END TIPLINE SIGNATURE-----"
# The fields of a statement, in order; their names are part of what is signed (not translated).
FIELDS = ("Organisation", "Reference", "Channel", "Received", "Acknowledged", "Issued")
MAX_STATEMENT = 4000


@dataclass(frozen=True)
class Statement:
    fields: dict[str, str]
    text: str


@cache
def _signing_key(secret: bytes) -> nacl.signing.SigningKey:
    return signing.signing_key_from_secret(secret)


def public_key() -> bytes:
    return signing.public_key_of(_signing_key(settings.TIPLINE_SIGNING_KEY))


def public_key_text() -> str:
    return base64.b64encode(public_key()).decode()


def _body(fields: dict[str, str]) -> str:
    return "\n".join([TITLE, *(f"{name}: {fields[name]}" for name in FIELDS)]) + "\n"


def issue_statement(*, report: Report) -> Statement:
    """The signed statement for the reporter of ``report`` (audited; nothing is stored)."""
    fields = {
        "Organisation": accounts.get_organisation().name.replace("\n", " "),
        "Reference": report.reference,
        "Channel": report.channel.name.replace("\n", " "),
        "Received": report.created_at.date().isoformat(),
        "Acknowledged": report.acknowledged_at.date().isoformat() if report.acknowledged_at else "not yet",
        "Issued": timezone.now().date().isoformat(),
    }
    body = _body(fields)
    signature = signing.sign(_signing_key(settings.TIPLINE_SIGNING_KEY), body.encode())
    text = f"{body}{BEGIN}\n{base64.b64encode(signature).decode()}\n{END}\n"
    audit.record(action="proof.issued", report_ref=report.reference)
    return Statement(fields=fields, text=text)


def verify_statement(*, text: str) -> Statement:
    """Check a pasted or uploaded statement; :class:`InvalidStatement` for anything else.
    Reads nothing from the database: whether it verifies says nothing about any report."""
    text = text.replace("\r\n", "\n").strip()
    if len(text) > MAX_STATEMENT or BEGIN not in text:
        raise InvalidStatement
    body, _, rest = text.partition(BEGIN)
    signature_text = rest.replace(END, "").strip()
    try:
        signature = base64.b64decode(signature_text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidStatement from None
    try:
        signing.verify(public_key(), body.encode(), signature)
    except DecryptionFailed:
        raise InvalidStatement from None
    lines = body.strip().split("\n")
    fields = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    if lines[0] != TITLE or tuple(fields) != FIELDS:
        raise InvalidStatement
    return Statement(fields=fields, text=text + "\n")
