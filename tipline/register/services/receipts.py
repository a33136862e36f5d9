"""Receipts: the one Argon2id derivation that finds a report and opens its key, under a
log-in allowance shared by every server process."""

from __future__ import annotations

from django.conf import settings

from tipline import client_limits
from tipline.accounts.models import Organisation
from tipline.crypto import boxes
from tipline.crypto import receipt as receipts
from tipline.crypto.errors import DecryptionFailed, MalformedReceipt
from tipline.register.exceptions import InvalidReceipt, TooManyReceiptAttempts
from tipline.register.models import Report


def receipt_secrets(*, receipt: str, salt: bytes | None = None) -> receipts.ReceiptSecrets:
    if salt is None:
        salt = bytes(Organisation.objects.values_list("receipt_salt", flat=True).get(pk=1))
    return receipts.derive_receipt_secrets(
        receipt, salt=salt, pepper=settings.TIPLINE_PEPPER, cost=settings.TIPLINE_KDF_COST
    )


RECEIPT_SCOPE = "receipt-attempts"


def _take_attempt(client_tag: str) -> None:
    """Count a log-in attempt before its derivation, so that attempts sent all at once
    are limited too; ``TooManyReceiptAttempts`` once the window's allowance is used up.
    The window runs from the first attempt (later ones do not extend it), and the count
    is shared by every server process."""
    allowed = client_limits.take(
        RECEIPT_SCOPE,
        client_tag,
        limit=settings.TIPLINE_RECEIPT_ATTEMPTS,
        window=settings.TIPLINE_RECEIPT_WINDOW_SECONDS,
    )
    if not allowed:
        raise TooManyReceiptAttempts


def _give_back_attempt(client_tag: str) -> None:
    """A right receipt does not count against the allowance; the wrong ones before it still do."""
    client_limits.give_back(RECEIPT_SCOPE, client_tag)


def open_with_receipt(*, receipt_text: str, client_tag: str) -> tuple[Report, bytes]:
    """Find and unlock a report with its receipt: one Argon2id, one generic failure."""
    _take_attempt(client_tag)
    try:
        receipt = receipts.normalise_receipt(receipt_text)
    except MalformedReceipt:
        raise InvalidReceipt from None
    secrets_ = receipt_secrets(receipt=receipt)
    report = Report.objects.filter(lookup_id=secrets_.lookup_id).first()
    try:
        if report is None:
            raise DecryptionFailed
        if report.receipt_wrapped_key is None:
            raise DecryptionFailed
        report_key = boxes.decrypt(secrets_.wrap_key, bytes(report.receipt_wrapped_key))
    except DecryptionFailed:
        raise InvalidReceipt from None
    _give_back_attempt(client_tag)
    return report, report_key
