"""Receipts: the one Argon2id derivation that finds a report and opens its key, under a
log-in allowance shared by every server process."""

from __future__ import annotations

from django.conf import settings

from tipline.accounts.models import Organisation
from tipline.crypto import boxes
from tipline.crypto import receipt as receipts
from tipline.crypto.errors import DecryptionFailed, MalformedReceipt
from tipline.limits import services as limits
from tipline.register import binding
from tipline.register.exceptions import InvalidReceipt, TooManyReceiptAttempts
from tipline.register.models import Report


def receipt_secrets(*, receipt: str, salt: bytes | None = None) -> receipts.ReceiptSecrets:
    if salt is None:
        salt = bytes(Organisation.objects.values_list("receipt_salt", flat=True).get(pk=1))
    return receipts.derive_receipt_secrets(
        receipt, salt=salt, pepper=settings.TIPLINE_PEPPER, cost=settings.TIPLINE_KDF_COST
    )


RECEIPT_SCOPE = "receipt-attempts"


def receipt_policy() -> limits.Policy:
    """Log-ins with a receipt, right or wrong (each costs an Argon2id derivation)."""
    return limits.Policy(
        scope=RECEIPT_SCOPE,
        per_client=settings.TIPLINE_RECEIPT_ATTEMPTS,
        overflow=settings.TIPLINE_RECEIPT_OVERFLOW,
        window=settings.TIPLINE_RECEIPT_WINDOW_SECONDS,
    )


CALL_RECEIPT_SCOPE = "call-receipt-failures"


def call_receipt_policy() -> limits.Policy:
    """Receipts a call-taker enters that open nothing: their own allowance, no overflow."""
    return limits.Policy(
        scope=CALL_RECEIPT_SCOPE,
        per_client=settings.TIPLINE_CALL_RECEIPT_FAILURES,
        overflow=0,
        window=settings.TIPLINE_RECEIPT_WINDOW_SECONDS,
        bucketed=False,  # a staff member, not an address: counted alone, never with a colleague
    )


def open_with_receipt(
    *, receipt_text: str, client_tag: str, policy: limits.Policy | None = None, failures_only: bool = False
) -> tuple[Report, bytes]:
    """Find and unlock a report with its receipt: one Argon2id, one generic failure.

    Every attempt, right or wrong, is counted before its derivation (attempts sent all at
    once are limited too) against the client's allowance and then the shared overflow
    (:mod:`tipline.limits`): :class:`TooManyReceiptAttempts` once both are spent.
    ``policy``: another allowance than the reporters' (a call-taker's own); with
    ``failures_only`` a receipt that opens its report is given back, so only wrong ones
    use it up."""
    grant = limits.admit(policy or receipt_policy(), client_tag=client_tag)
    if grant is None:
        raise TooManyReceiptAttempts
    opened = _open(receipt_text)
    if failures_only:
        limits.give_back(grant)
    return opened


def opens_a_report(*, receipt_text: str) -> bool:
    """Whether ``receipt_text`` is the receipt of a stored report: one derivation, under no
    allowance (for the mail worker, which checks the few numbers of a receipt's shape
    quoted in a mail; never for a request)."""
    try:
        receipt = receipts.normalise_receipt(receipt_text)
    except MalformedReceipt:
        return False
    return Report.objects.filter(lookup_id=receipt_secrets(receipt=receipt).lookup_id).exists()


def _open(receipt_text: str) -> tuple[Report, bytes]:
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
        report_key = boxes.decrypt(
            secrets_.wrap_key,
            bytes(report.receipt_wrapped_key),
            context=binding.receipt_key(reference=report.reference),
        )
    except DecryptionFailed:
        raise InvalidReceipt from None
    return report, report_key
