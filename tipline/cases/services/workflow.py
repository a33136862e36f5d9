"""The life of a report: assignment, acknowledgement, progress, closing, and the
metadata around it (labels, links, exclusions, legal hold). Every change is audited."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from tipline.accounts import services as accounts
from tipline.accounts.exceptions import AccountError
from tipline.accounts.models import Role, StaffKey, StaffUser
from tipline.audit import services as audit
from tipline.cases.exceptions import (
    AssigneeNotEligible,
    InvalidTransition,
    NoAccess,
    NoSupervisorLeft,
    NotAllowed,
    ReasonRequired,
    ReportPurged,
)
from tipline.cases.models import Exclusion, ExclusionRequest, Note
from tipline.cases.permissions import Action, is_excluded, require
from tipline.cases.services import decisions, notify, retention
from tipline.cases.services.content import report_key_for, store_note
from tipline.register import keyring
from tipline.register.exceptions import KeyNotHeld
from tipline.register.models import GrantReason, Label, Outcome, Report, ReportLink
from tipline.register.services.acknowledgement import apply_acknowledgement

Status = Report.Status


def _locked(report: Report) -> Report:
    return Report.objects.select_for_update(of=("self",)).select_related("channel").get(pk=report.pk)


def assign_report(*, report: Report, handler: StaffUser, by: StaffUser, private_key: bytes) -> None:
    """A supervisor gives a handler the report: the report key is sealed to the handler
    from the supervisor's unlocked key, and the handler is told by e-mail (no content)."""
    require(by, Action.ASSIGN, report)
    if not handler.is_active or Role.HANDLER not in handler.roles or is_excluded(handler, report):
        raise AssigneeNotEligible
    if not StaffKey.objects.filter(user=handler).exists():
        raise AssigneeNotEligible
    report_key = report_key_for(report=report, user=by, private_key=private_key)
    with transaction.atomic():
        report = _locked(report)
        # Again under the row lock that an exclusion takes too: an exclusion committed since
        # the check above must not be followed by a key sealed to the excluded person.
        if is_excluded(handler, report):
            raise AssigneeNotEligible
        keyring.grant_report_key(report=report, user=handler, report_key=report_key)
        report.assignee = handler
        report.save(update_fields=["assignee", "updated_at"])
        audit.record(action="report.assign", actor=by, report_ref=report.reference, detail={"to": handler.username})
        notify.queue_staff_email(users=[handler], kind="assigned", report=report)


def exclude_from_report(*, report: Report, user: StaffUser, by: StaffUser) -> Exclusion | ExclusionRequest:
    """Keep ``user`` away from the report (conflict of interest): their keys are destroyed.

    A supervisor or an administrator is not excluded at once: the request waits for a
    second supervisor's approval (:func:`decide_exclusion`), so that no one supervisor
    can shut the others out."""
    require(by, Action.EXCLUDE, report)
    if user == by:
        raise AssigneeNotEligible
    if user.roles & {Role.SUPERVISOR, Role.ADMIN}:
        return _request_exclusion(report=report, user=user, by=by)
    with transaction.atomic():
        return _exclude(_locked(report), user=user, by=by)


def _exclude(report: Report, *, user: StaffUser, by: StaffUser) -> Exclusion:
    """Exclude now (the caller holds the report's row lock)."""
    exclusion, _ = Exclusion.objects.get_or_create(report=report, user=user, defaults={"created_by": by})
    keyring.drop_keys(report=report, user=user)
    if report.assignee_id == user.pk:
        report.assignee = None
        report.save(update_fields=["assignee", "updated_at"])
    audit.record(action="report.exclude", actor=by, report_ref=report.reference, detail={"user": user.username})
    return exclusion


def _request_exclusion(*, report: Report, user: StaffUser, by: StaffUser) -> ExclusionRequest:
    with transaction.atomic():
        report = _locked(report)
        if Exclusion.objects.filter(report=report, user=user).exists():
            raise InvalidTransition
        request, created = ExclusionRequest.objects.get_or_create(
            report=report, user=user, state=ExclusionRequest.State.PENDING, defaults={"requested_by": by}
        )
        if created:
            audit.record(
                action="report.exclusion_requested",
                actor=by,
                report_ref=report.reference,
                detail={"user": user.username, "request": request.pk},
            )
            deciders = [u for u in notify.supervisors(report=report) if u.pk not in {by.pk, user.pk}]
            notify.queue_staff_email(users=deciders, kind="exclusion_requested", report=report)
    return request


def decide_exclusion(*, request: ExclusionRequest, by: StaffUser, approve: bool) -> None:
    """A second supervisor (neither the requester nor the person concerned) decides.

    Approval is refused (:class:`NoSupervisorLeft`) when, without that person, no other
    active supervisor could still act on the report (holding its key, not excluded)."""
    report = request.report
    require(by, Action.DECIDE_EXCLUSION, report)
    if by.pk in {request.requested_by_id, request.user_id}:
        raise NotAllowed(Action.DECIDE_EXCLUSION)
    with transaction.atomic():
        report = _locked(report)
        request = ExclusionRequest.objects.select_for_update().select_related("user").get(pk=request.pk)
        if request.state != ExclusionRequest.State.PENDING:
            raise InvalidTransition
        if approve:
            if not _another_supervisor_can_act(report, leaving=request.user):
                raise NoSupervisorLeft
            _exclude(report, user=request.user, by=by)
        decisions.settle(request, by=by, approve=approve)
        audit.record(
            action=f"report.exclusion_{'approved' if approve else 'refused'}",
            actor=by,
            report_ref=report.reference,
            detail={"user": request.user.username, "request": request.pk},
        )


def _another_supervisor_can_act(report: Report, *, leaving: StaffUser) -> bool:
    supervisors = StaffUser.objects.filter(is_active=True, role_grants__role=Role.SUPERVISOR).exclude(pk=leaving.pk)
    excluded = Exclusion.objects.filter(report=report).values("user_id")
    return any(keyring.holds_report_key(report=report, user=person) for person in supervisors.exclude(pk__in=excluded))


def restore_after_exclusion(
    *, report: Report, user: StaffUser, by: StaffUser, admin_private_key: bytes, reason: str
) -> None:
    """An administrator lifts an exclusion and gives back, from the escrow key, the report
    key that the person's position gives (a supervisor's copy); a handler gets the report
    again by an assignment, and the identity key (which has no escrow copy) only through a
    supervisor. Audited with the written reason."""
    require(by, Action.RESTORE_ACCESS, report)
    if not reason.strip():
        raise ReasonRequired
    if user.pk == by.pk:
        raise NotAllowed(Action.RESTORE_ACCESS)
    try:
        escrow = accounts.escrow_private_key(admin=by, admin_private_key=admin_private_key)
    except AccountError:
        raise NoAccess from None
    with transaction.atomic():
        report = _locked(report)
        if report.is_purged:
            raise ReportPurged
        if not Exclusion.objects.filter(report=report, user=user).delete()[0]:
            raise InvalidTransition
        # Only what the position gives every report: a supervisor's copy. A handler gets a
        # report again the ordinary way, by an assignment.
        reasons = GrantReason.SUPERVISOR if Role.SUPERVISOR in user.roles else GrantReason(0)
        try:
            given = keyring.grant_report_key_from_escrow(
                report=report, user=user, escrow_private_key=escrow, reasons=reasons
            )
        except KeyNotHeld:  # no escrow copy, or no key pair to seal to
            raise NoAccess from None
        audit.record(
            action="escrow.restore_report_access",
            actor=by,
            report_ref=report.reference,
            detail={"user": user.username, "reason": audit.free_text(reason.strip()[:500]), "key_given": given},
        )


def acknowledge_report(*, report: Report, by: StaffUser, private_key: bytes, now: datetime | None = None) -> None:
    require(by, Action.ACKNOWLEDGE, report)
    report_key = report_key_for(report=report, user=by, private_key=private_key)
    with transaction.atomic():
        report = _locked(report)
        if report.status != Status.NEW or report.acknowledged_at is not None:  # not twice
            raise InvalidTransition
        apply_acknowledgement(report=report, report_key=report_key, now=now or timezone.now(), author=by)
        audit.record(action="report.acknowledge", actor=by, report_ref=report.reference)


def start_progress(*, report: Report, by: StaffUser) -> None:
    require(by, Action.CHANGE_STATUS, report)
    with transaction.atomic():
        report = _locked(report)
        if report.status != Status.ACKNOWLEDGED:
            raise InvalidTransition
        report.status = Status.IN_PROGRESS
        report.save(update_fields=["status", "updated_at"])
        audit.record(action="report.in_progress", actor=by, report_ref=report.reference)


def close_report(
    *, report: Report, by: StaffUser, private_key: bytes, outcome: Outcome, reason: str, now: datetime | None = None
) -> None:
    """Close with an outcome and a written reason (kept as an encrypted note)."""
    require(by, Action.CLOSE, report)
    if not reason.strip():
        raise ReasonRequired
    report_key = report_key_for(report=report, user=by, private_key=private_key)
    now = now or timezone.now()
    with transaction.atomic():
        report = _locked(report)
        if report.status == Status.CLOSED:
            raise InvalidTransition
        report.status, report.closed_at, report.outcome, report.next_due_at = Status.CLOSED, now, outcome, None
        report.last_activity_at = now
        report.save(update_fields=["status", "closed_at", "outcome", "next_due_at", "last_activity_at", "updated_at"])
        store_note(report=report, report_key=report_key, by=by, body=reason.strip(), kind=Note.Kind.CLOSING)
        audit.record(action="report.close", actor=by, report_ref=report.reference, detail={"outcome": outcome.code})


def add_note(*, report: Report, by: StaffUser, private_key: bytes, body: str) -> Note:
    require(by, Action.NOTE, report)
    if not body.strip():
        raise ReasonRequired
    report_key = report_key_for(report=report, user=by, private_key=private_key)
    with transaction.atomic():
        note = store_note(report=report, report_key=report_key, by=by, body=body.strip())
        Report.objects.filter(pk=report.pk).update(last_activity_at=timezone.now())
        audit.record(action="note.add", actor=by, report_ref=report.reference)
    return note


def set_labels(*, report: Report, by: StaffUser, labels: Iterable[Label]) -> None:
    require(by, Action.LABEL, report)
    chosen = list(labels)
    with transaction.atomic():
        report.labels.set(chosen)
        audit.record(
            action="report.labels",
            actor=by,
            report_ref=report.reference,
            detail={"labels": sorted(label.name for label in chosen)},
        )


def link_reports(*, source: Report, target: Report, kind: str, by: StaffUser) -> ReportLink:
    require(by, Action.LINK, source)
    require(by, Action.LINK, target)
    if source.pk == target.pk:
        raise InvalidTransition
    made_by_tipline = ReportLink.objects.filter(source=source, target=target, kind=ReportLink.Kind.SENT_TWICE)
    if made_by_tipline.exists():  # copies of one form page stay marked as such
        raise InvalidTransition
    with transaction.atomic():
        link, _ = ReportLink.objects.update_or_create(
            source=source, target=target, defaults={"kind": kind, "created_by": by}
        )
        audit.record(
            action="report.link",
            actor=by,
            report_ref=source.reference,
            detail={"target": target.reference, "kind": kind},
        )
    return link


def set_legal_hold(*, report: Report, by: StaffUser, hold: bool) -> None:
    """Put a report on legal hold (it is never destroyed while held) or release it. A release
    restarts the retention warning: supervisors are warned again and the report is kept
    at least the warning period from then, however long ago it was closed."""
    require(by, Action.LEGAL_HOLD, report)
    with transaction.atomic():
        locked = _locked(report)
        if locked.legal_hold and not hold:
            retention.restart_warning(report=locked)
        Report.objects.filter(pk=report.pk).update(legal_hold=hold)
        report.legal_hold = hold
        audit.record(action="report.legal_hold", actor=by, report_ref=report.reference, detail={"hold": hold})
