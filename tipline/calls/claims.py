"""What the call-taker stores, stored once: one report at a time per session, its receipt
kept until its page shows it, and one message per page.

A double click, or a second tab, sends a form while the first send is still being stored
(Argon2id and file cleaning take a moment). The session cannot tell them apart: both
requests read it before either writes it back, and the one written last wins, so a
receipt kept there could be lost. Each send therefore first claims a row of its own in
the database, where a unique digest lets exactly one through:

- a new report claims the staff session (a keyed digest of its key); the claim holds the
  receipt, encrypted under the key in the call-taker's cookie, from the report's commit
  until the receipt page shows it once. The same page sent again (a second click) waits
  for the first send: it is shown that report's receipt, or goes ahead if the first
  failed. Any other send from that session meanwhile is refused and nothing of it is
  stored: "another report is being stored", or "a receipt waits to be shown";
- a caller's message claims the random token of the page it was typed on, and keeps it,
  marked as added in the message's transaction: the page sent again adds nothing. A send
  of the page while the first is still being added waits for it (up to
  :data:`WAIT_FOR_THE_FIRST`): if the first failed, this one goes ahead; if it was added,
  this one says so.

A send that fails lets its claim go, so that it can be sent again. No claim outlives the
session it was made in (``SESSION_COOKIE_AGE``); one whose request died on the way (a
crash) is let go after :func:`stale_after` (or at once by logging in again: a new session).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tipline import session_vault
from tipline.calls.models import Claim
from tipline.register import cleaning
from tipline.register.exceptions import ReporterError


def stale_after() -> timedelta:
    """Beyond the longest a send can take: every file cleaned to its time limit, one after
    another, and ten minutes more."""
    return timedelta(seconds=(settings.TIPLINE_MAX_FILES + 1) * cleaning.MAT2_TIMEOUT_SECONDS + 600)


_MESSAGE = "message"  # the kind of a page's claim while its message is being added
_ADDED = "added"  # … and once it was added
WAIT_FOR_THE_FIRST = 60.0  # seconds; a message with files to clean may take that long
_POLL = 0.25


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
        "this is a different report, send it again after that. If this page still says so after a few minutes, log "
        "out and in again."
    )


class AlreadyStored(Exception):
    """The same page was sent before and its report is stored: show its receipt."""


class PageSentAlready(ReporterError):
    """This page's message was added already: a page adds its message once."""

    status = 409
    message = _(
        "This page was sent already (a second click?): the caller's message was added to their report, once. "
        "Do not send it again."
    )


class PageStillBeingSent(ReporterError):
    """This page's message is still being added by an earlier send, after a long wait."""

    status = 409
    message = _(
        "This page was sent already (a second click?), and that send is still adding the caller's message, "
        "with its files, after a minute: this one was not sent. Do not send it again; it is most likely added "
        "in a moment."
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
    way; returns how many. (When a claim is held already, and hourly: ``calls.forget_claims``.)"""
    now = timezone.now()
    old, _ = Claim.objects.filter(claimed_at__lt=now - timedelta(seconds=settings.SESSION_COOKIE_AGE)).delete()
    stale = now - stale_after()
    died, _ = Claim.objects.filter(receipt_ct__isnull=True, claimed_at__lt=stale).exclude(kind=_ADDED).delete()
    return old + died


def _claim(digest: str, *, kind: str = "", page: str = "") -> Claim | None:
    """The new claim on ``digest``, or None if there is one already (once the old ones that
    could stand in its way are forgotten)."""
    for attempt in range(2):
        try:
            with transaction.atomic():
                return Claim.objects.create(digest=digest, claimed_at=timezone.now(), kind=kind, page=page)
        except IntegrityError:
            if attempt == 0 and not forget_old():
                return None  # nothing stale: the claim held is a live one
    return None


def _wait(step: Callable[[], Claim | None], *, timed_out: type[ReporterError]) -> Claim:
    """``step`` again and again (it returns a claim, raises, or returns None to wait on)
    until it returns a claim; ``timed_out`` after :data:`WAIT_FOR_THE_FIRST`."""
    deadline = time.monotonic() + WAIT_FOR_THE_FIRST
    while (claim := step()) is None:
        if time.monotonic() > deadline:
            raise timed_out
        time.sleep(_POLL)
    return claim


@dataclass
class ReportClaim:
    """The claim of the report being stored: :meth:`keep` its receipt once it is committed."""

    request: HttpRequest
    claim: Claim

    def keep(self, receipt: str, *, kind: str, notes: str) -> None:
        """Keep ``receipt`` for its page; called in the report's transaction, which it undoes
        (raising :class:`AnotherBeingStored`) if the claim was let go meanwhile: a report is
        never committed with its receipt lost."""
        sealed = session_vault.seal(self.request, receipt.encode(), context=_receipt_context(self.claim.digest))
        kept = Claim.objects.filter(pk=self.claim.pk, receipt_ct__isnull=True).update(
            receipt_ct=sealed, kind=kind, notes=notes
        )
        if kept != 1:
            raise AnotherBeingStored


@contextlib.contextmanager
def one_report(request: HttpRequest, page_token: str = "") -> Iterator[ReportClaim]:
    """Claim this session for one new report sent from the page ``page_token``, or raise
    :class:`AlreadyStored` (this page's report is stored), :class:`ReceiptNotShown` or
    :class:`AnotherBeingStored`. The claim is let go if the block fails."""
    if getattr(request, "vault_key", None) is None:
        session_vault.open_vault(request)  # staff have one; else the receipt could not be kept
    if request.session.session_key is None:
        request.session.save()
    digest = _session_digest(request)
    assert digest is not None  # noqa: S101 - the session was saved just above
    page = _digest(b"report-page", page_token) if page_token else ""
    claim = _claim(digest, page=page) or _after_the_same_page(digest, page)
    try:
        yield ReportClaim(request, claim)
    except BaseException:
        Claim.objects.filter(pk=claim.pk, receipt_ct__isnull=True).delete()
        raise


def _after_the_same_page(digest: str, page: str) -> Claim:
    """The claim of a report sent while the session's claim is held: the same page waits for
    its first send (up to :data:`WAIT_FOR_THE_FIRST`), any other is refused at once."""

    def step() -> Claim | None:
        held = Claim.objects.filter(digest=digest).values_list("page", "receipt_ct").first()
        if held is None:  # let go: the first send failed, so this one goes ahead
            return _claim(digest, page=page)
        same_page = bool(page) and held[0] == page
        if held[1] is not None:
            raise AlreadyStored if same_page else ReceiptNotShown
        if not same_page:
            raise AnotherBeingStored
        return None

    return _wait(step, timed_out=AnotherBeingStored)


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
    if claim is None:
        return None
    secret = session_vault.unseal(request, bytes(claim.receipt_ct or b""), context=_receipt_context(digest))
    if secret is None or Claim.objects.filter(pk=claim.pk).delete()[0] == 0:
        return None  # not this browser's to open (kept for it), or another request took it just now
    return Waiting(receipt=secret.decode(), kind=claim.kind, notes=claim.notes)


@contextlib.contextmanager
def one_message(token: str) -> Iterator[Callable[[], None]]:
    """Claim the page ``token`` for its one message, or raise :class:`PageSentAlready` or
    :class:`PageStillBeingSent`. Yields the function that marks it added, to be called in
    the message's transaction; the claim is let go if the block fails."""
    digest = _digest(b"page", token)
    claim = _claim(digest, kind=_MESSAGE) or _after_the_first(digest)
    try:
        yield lambda: _mark_added(claim)
    except BaseException:
        Claim.objects.filter(pk=claim.pk, kind=_MESSAGE).delete()
        raise


def _mark_added(claim: Claim) -> None:
    Claim.objects.filter(pk=claim.pk).update(kind=_ADDED)


def _after_the_first(digest: str) -> Claim:
    """The claim of a page sent again, once its first send has ended: the first added the
    message (:class:`PageSentAlready`) or failed (this one goes ahead with a claim of its
    own); still running after :data:`WAIT_FOR_THE_FIRST`: :class:`PageStillBeingSent`."""

    def step() -> Claim | None:
        kind = Claim.objects.filter(digest=digest).values_list("kind", flat=True).first()
        if kind == _ADDED:
            raise PageSentAlready
        return _claim(digest, kind=_MESSAGE) if kind is None else None

    return _wait(step, timed_out=PageStillBeingSent)
