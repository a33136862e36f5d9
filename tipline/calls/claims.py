"""What the call-taker stores, stored once: one report at a time per session, its receipt
kept until its page shows it, and one message per page.

A double click, or a second tab, sends a form while the first send is still being stored
(Argon2id and file cleaning take a moment). The session cannot tell them apart: both
requests read it before either writes it back, and the one written last wins, so a
receipt kept there could be lost. Each send therefore first claims a row of its own in
the database, where a unique digest lets exactly one through:

- a new report claims the staff session (a keyed digest of its key); the claim holds the
  receipt, encrypted under the key in the call-taker's cookie, from the report's commit
  until the receipt page shows it once. Any other send from that session meanwhile is
  refused and nothing of it is stored: "another report is being stored", or "a receipt
  waits to be shown";
- a caller's message claims the random token of the page it was typed on, and keeps it:
  the page sent again adds nothing.

A send that fails lets its claim go, so that it can be sent again. No claim outlives the
session it was made in (``SESSION_COOKIE_AGE``); one whose request died on the way (a
crash) is let go after :data:`STALE_AFTER`.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tipline import session_vault
from tipline.calls.models import Claim
from tipline.register.exceptions import ReporterError

STALE_AFTER = timedelta(minutes=30)  # far beyond any request: the web server's time-out is shorter
_MESSAGE = "message"  # the kind of a page's claim


class ReceiptNotShown(ReporterError):
    """A report stored in another tab has a receipt not yet shown: one receipt waits at a time."""

    status = 409
    message = _(
        "The receipt of the report you stored before this one has not been shown yet, so nothing was stored. "
        "Open it first with the link at the top of the page, then send this one again."
    )


class AnotherBeingStored(ReporterError):
    """Another report of this session is being stored just now (a second click, another tab)."""

    status = 409
    message = _(
        "Another report is being stored from this screen just now (a second click, or another tab), so this "
        "one was not stored. Open the start page of this screen in a few seconds: its receipt waits there. If "
        "this is a different report, send it again after that."
    )


class PageSentAlready(ReporterError):
    """This page's message was sent already: a page adds its message once."""

    status = 409
    message = _(
        "This page was sent already (a second click?), and a page adds the caller's message only once: nothing "
        "more was added. Do not send it again. If you were told it was not added, type it again on a new page."
    )


def _digest(purpose: bytes, value: str) -> str:
    """A digest keyed with the pepper, kept outside the database: a copy of the database
    cannot tell which session or page a claim was made from."""
    message = b"call-claim:" + purpose + b":" + value.encode()
    return hmac.new(settings.TIPLINE_PEPPER, message, hashlib.blake2b).hexdigest()[:32]


def _session_digest(request: HttpRequest) -> str | None:
    key = request.session.session_key
    return None if key is None else _digest(b"session", key)


def _receipt_context(digest: str) -> bytes:
    return b"call-receipt:" + digest.encode()


def forget_old() -> int:
    """Delete the claims past their session's life, and those of sends that died on the
    way; returns how many. (Before each claim, and hourly: ``calls.forget_claims``.)"""
    now = timezone.now()
    old, _ = Claim.objects.filter(claimed_at__lt=now - timedelta(seconds=settings.SESSION_COOKIE_AGE)).delete()
    stale = now - STALE_AFTER
    died, _ = Claim.objects.filter(receipt_ct__isnull=True, claimed_at__lt=stale).exclude(kind=_MESSAGE).delete()
    return old + died


def _claim(digest: str, *, kind: str = "") -> Claim | None:
    """The new claim on ``digest``, or None if there is one already."""
    forget_old()
    try:
        with transaction.atomic():
            return Claim.objects.create(digest=digest, claimed_at=timezone.now(), kind=kind)
    except IntegrityError:
        return None


@dataclass
class ReportClaim:
    """The claim of the report being stored: :meth:`keep` its receipt once it is committed."""

    request: HttpRequest
    claim: Claim

    def keep(self, receipt: str, *, kind: str, notes: str) -> None:
        """Keep ``receipt`` for its page; called in the report's transaction."""
        sealed = session_vault.seal(self.request, receipt.encode(), context=_receipt_context(self.claim.digest))
        Claim.objects.filter(pk=self.claim.pk).update(receipt_ct=sealed, kind=kind, notes=notes)


@contextlib.contextmanager
def one_report(request: HttpRequest) -> Iterator[ReportClaim]:
    """Claim this session for one new report, or raise :class:`ReceiptNotShown` or
    :class:`AnotherBeingStored`. The claim is let go if the block fails."""
    if getattr(request, "vault_key", None) is None:
        session_vault.open_vault(request)  # staff have one; else the receipt could not be kept
    if request.session.session_key is None:
        request.session.save()
    digest = _session_digest(request)
    assert digest is not None  # noqa: S101 - the session was saved just above
    claim = _claim(digest)
    if claim is None:
        waiting = Claim.objects.filter(digest=digest, receipt_ct__isnull=False).exists()
        raise ReceiptNotShown if waiting else AnotherBeingStored
    try:
        yield ReportClaim(request, claim)
    except BaseException:
        Claim.objects.filter(pk=claim.pk, receipt_ct__isnull=True).delete()
        raise


def receipt_waiting(request: HttpRequest) -> bool:
    """A receipt of this session waits to be shown."""
    digest = _session_digest(request)
    return digest is not None and Claim.objects.filter(digest=digest, receipt_ct__isnull=False).exists()


@dataclass(frozen=True)
class Waiting:
    receipt: str
    kind: str
    notes: str


def take_receipt(request: HttpRequest) -> Waiting | None:
    """The receipt waiting for this session, taken away: shown once, by one request only."""
    digest = _session_digest(request)
    if digest is None:
        return None
    claim = Claim.objects.filter(digest=digest, receipt_ct__isnull=False).first()
    if claim is None or Claim.objects.filter(pk=claim.pk).delete()[0] == 0:
        return None  # none, or another request took it just now
    secret = session_vault.unseal(request, bytes(claim.receipt_ct or b""), context=_receipt_context(digest))
    return None if secret is None else Waiting(receipt=secret.decode(), kind=claim.kind, notes=claim.notes)


@contextlib.contextmanager
def one_message(token: str) -> Iterator[None]:
    """Claim the page ``token`` for its one message, or raise :class:`PageSentAlready`.
    The claim is let go if the block fails; kept if it succeeds."""
    claim = _claim(_digest(b"page", token), kind=_MESSAGE)
    if claim is None:
        raise PageSentAlready
    try:
        yield
    except BaseException:
        Claim.objects.filter(pk=claim.pk).delete()
        raise
