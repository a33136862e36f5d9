"""Commendations: offered by staff, issued only with the reporter's consent, verified publicly
by a 128-bit code that is stored only as a keyed digest. Verification shows what the reporter
agreed to (an alias, or only that it is valid) and nothing of the report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from tipline.accounts import services as accounts
from tipline.accounts.models import StaffUser
from tipline.audit import services as audit
from tipline.crypto import boxes
from tipline.crypto.errors import DecryptionFailed
from tipline.register import binding
from tipline.register.models import Report
from tipline.rewards.exceptions import NoCommendation, WrongState
from tipline.rewards.models import Commendation
from tipline.rewards.permissions import RewardAction, require
from tipline.rewards.services import codes

CODE_PURPOSE = b"commendation"
ALIAS_PURPOSE = b"alias"
HONOUR_PURPOSE = b"honour-alias"
MAX_ALIAS = 60


@dataclass(frozen=True)
class Verified:
    issued_at: datetime
    alias: str


def offer_commendation(*, report: Report, by: StaffUser) -> Commendation:
    """Offer a commendation; nothing is issued until the reporter consents in the portal."""
    require(by, RewardAction.OFFER_COMMENDATION, report)
    with transaction.atomic():
        commendation, created = Commendation.objects.get_or_create(report=report, defaults={"offered_by": by})
        if not created:
            raise WrongState
        audit.record(action="commendation.offered", actor=by, report_ref=report.reference)
    return commendation


def _code_place(commendation: Commendation) -> bytes:
    return binding.context("commendation-code", commendation.report_id, commendation.pk)


def _honour_key(commendation_id: int) -> bytes:
    return boxes.derive_key(
        settings.TIPLINE_REWARDS_KEY[:64], purpose=HONOUR_PURPOSE, subject=str(commendation_id).encode()
    )


def accept_commendation(*, report: Report, report_key: bytes, alias: str, on_roll: bool) -> str:
    """The reporter consents: a new verification code, returned once and kept under the
    report key; the alias, if any, under a key only the code makes (and, for the roll of
    honour, under the server's rewards key)."""
    alias = alias.strip()[:MAX_ALIAS]
    code = codes.new_code(20)  # 160 bits
    with transaction.atomic():
        commendation = Commendation.objects.select_for_update().filter(report=report).first()
        if commendation is None:
            raise NoCommendation
        if commendation.state != Commendation.State.OFFERED:
            raise WrongState
        commendation.code_digest = codes.code_digest(code, purpose=CODE_PURPOSE)
        commendation.code_ct = boxes.encrypt(report_key, code.encode(), context=_code_place(commendation))
        if alias:
            key = codes.code_key(code, purpose=ALIAS_PURPOSE)
            commendation.alias_ct = boxes.encrypt(key, alias.encode())
        commendation.on_roll_of_honour = bool(alias and on_roll and settings.TIPLINE_ROLL_OF_HONOUR)
        if commendation.on_roll_of_honour:
            commendation.honour_alias_ct = boxes.encrypt(_honour_key(commendation.pk), alias.encode())
        commendation.state = Commendation.State.ISSUED
        commendation.issued_at = timezone.now()
        commendation.save()
        audit.record(action="commendation.issued", report_ref=report.reference)
    return code


def decline_commendation(*, report: Report) -> None:
    with transaction.atomic():
        done = Commendation.objects.filter(report=report, state=Commendation.State.OFFERED).update(
            state=Commendation.State.DECLINED
        )
        if done != 1:
            raise WrongState
        audit.record(action="commendation.declined", report_ref=report.reference)


def code_for_reporter(*, commendation: Commendation, report_key: bytes) -> str:
    if commendation.code_ct is None:
        return ""
    return boxes.decrypt(report_key, bytes(commendation.code_ct), context=_code_place(commendation)).decode()


def verify_commendation(*, code: str) -> Verified | None:
    """The public check: ``None`` for an unknown code; else the date and the alias (if given)."""
    digest = codes.code_digest(code, purpose=CODE_PURPOSE)
    row = Commendation.objects.filter(code_digest=digest, state=Commendation.State.ISSUED).first() if digest else None
    if row is None or row.issued_at is None:
        return None
    alias = ""
    if row.alias_ct is not None:
        try:
            alias = boxes.decrypt(codes.code_key(code, purpose=ALIAS_PURPOSE), bytes(row.alias_ct)).decode()
        except DecryptionFailed:
            alias = ""
    return Verified(issued_at=row.issued_at, alias=alias)


def roll_of_honour() -> list[Verified]:
    """Aliases of reporters who chose the public roll, newest first."""
    if not settings.TIPLINE_ROLL_OF_HONOUR:
        return []
    rows = Commendation.objects.filter(state=Commendation.State.ISSUED, on_roll_of_honour=True).order_by("-issued_at")
    entries = []
    for row in rows:
        if row.honour_alias_ct is None or row.issued_at is None:
            continue
        alias = boxes.decrypt(_honour_key(row.pk), bytes(row.honour_alias_ct)).decode()
        entries.append(Verified(issued_at=row.issued_at, alias=alias))
    return entries


def certificate_pdf(*, commendation: Commendation, report_key: bytes, verify_url: str) -> bytes:
    """The certificate, rendered in memory: the organisation, the alias (if any), the date
    and the verification code. Nothing of the report."""
    from weasyprint import HTML, URLFetcher  # noqa: PLC0415 - heavy import, only for this download

    if commendation.state != Commendation.State.ISSUED:
        raise NoCommendation
    code = code_for_reporter(commendation=commendation, report_key=report_key)
    verified = verify_commendation(code=code)
    html = render_to_string(
        "rewards/certificate_pdf.html",
        {
            "organisation": accounts.get_organisation().name,
            "alias": verified.alias if verified else "",
            "issued_at": commendation.issued_at,
            "code": code,
            "verify_url": verify_url,
        },
    )
    return bytes(HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf())
