"""Identity disclosure (Directive 2019/1937 art. 16): a handler asks in writing, a
supervisor approves or refuses, and only then is the sealed identity opened to the
handler. The reporter sees in the portal that it happened and why."""

from __future__ import annotations

from django.db import transaction

from tipline.accounts.models import StaffUser
from tipline.audit import services as audit
from tipline.cases.exceptions import (
    InvalidTransition,
    NoAccess,
    NoIdentity,
    NotAllowed,
    ReasonRequired,
    RequesterNotEligible,
)
from tipline.cases.permissions import Action, allowed, may_open_identity, require
from tipline.cases.services import decisions, notify
from tipline.cases.services.content import report_key_for
from tipline.register import binding, keyring
from tipline.register import services as register
from tipline.register.exceptions import KeyNotHeld
from tipline.register.models import DisclosureRequest, Report

State = DisclosureRequest.State


def request_identity(*, report: Report, by: StaffUser, private_key: bytes, reason: str) -> DisclosureRequest:
    require(by, Action.REQUEST_IDENTITY, report)
    if report.identity_ct is None:
        raise NoIdentity
    if not reason.strip():
        raise ReasonRequired
    report_key = report_key_for(report=report, user=by, private_key=private_key)
    with transaction.atomic():
        if DisclosureRequest.objects.filter(report=report, requested_by=by, state=State.PENDING).exists():
            raise InvalidTransition
        request = DisclosureRequest.objects.create(report=report, requested_by=by, reason_ct=b"")
        place = binding.disclosure(reference=report.reference, request_id=request.pk)
        binding.seal_into(request, field="reason_ct", key=report_key, plaintext=reason.strip().encode(), place=place)
        audit.record(action="disclosure.request", actor=by, report_ref=report.reference, detail={"request": request.pk})
        notify.queue_staff_email(
            users=[u for u in notify.supervisors(report=report) if u != by],
            kind="disclosure_requested",
            report=report,
        )
    return request


def decide_identity(*, request: DisclosureRequest, by: StaffUser, private_key: bytes, approve: bool) -> None:
    """A supervisor (not the requester) decides; approval seals the identity key to the handler.

    Approval is checked again against the requester as they are now: still active,
    still a handler holding the report key, not excluded, with a key pair. Otherwise
    it is refused with :class:`RequesterNotEligible` (the request can still be refused).
    """
    report = request.report
    require(by, Action.DECIDE_IDENTITY, report)
    if by.pk == request.requested_by_id:
        raise NotAllowed(Action.DECIDE_IDENTITY)
    with transaction.atomic():
        # The report's row first, the row an exclusion locks: the check below sees any
        # exclusion committed before, and one made after destroys the key sealed here.
        report = Report.objects.select_for_update(of=("self",)).get(pk=report.pk)
        request = DisclosureRequest.objects.select_for_update().select_related("requested_by").get(pk=request.pk)
        if request.state != State.PENDING:
            raise InvalidTransition
        if approve:
            handler = request.requested_by
            if not _may_receive_identity(handler, report):
                raise RequesterNotEligible
            identity_key = _identity_key(report=report, user=by, private_key=private_key)
            keyring.grant_identity_key(report=report, user=handler, identity_key=identity_key)
        decisions.settle(request, by=by, approve=approve)
        audit.record(
            action=f"disclosure.{'approve' if approve else 'refuse'}",
            actor=by,
            report_ref=report.reference,
            detail={"request": request.pk, "to": request.requested_by.username},
        )
        notify.queue_staff_email(users=[request.requested_by], kind="disclosure_decided", report=report)


def _may_receive_identity(handler: StaffUser, report: Report) -> bool:
    return allowed(handler, Action.REQUEST_IDENTITY, report) and hasattr(handler, "key")


def _identity_key(*, report: Report, user: StaffUser, private_key: bytes) -> bytes:
    try:
        return keyring.open_identity_key(report=report, user=user, private_key=private_key)
    except KeyNotHeld:
        raise NoAccess from None


def can_read_identity(*, report: Report, user: StaffUser) -> bool:
    return keyring.holds_identity_key(report=report, user=user) and may_open_identity(user, report)


def read_identity(*, report: Report, by: StaffUser, private_key: bytes) -> str:
    """Open the identity for a supervisor or an approved handler; audited."""
    require(by, Action.READ_CONTENT, report)
    if not may_open_identity(by, report):
        raise NoAccess
    identity = register.read_identity(
        report=report, identity_key=_identity_key(report=report, user=by, private_key=private_key)
    )
    audit.record(action="identity.read", actor=by, report_ref=report.reference)
    return identity


def disclosures(*, report: Report, report_key: bytes) -> list[register.DisclosureView]:
    """Every request on the report with its reason decrypted, for the case page."""
    return register.list_disclosures(report=report, report_key=report_key)
