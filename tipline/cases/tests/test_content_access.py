"""Content follows the person's current roles, not only the keys they hold: a key grant
kept by someone who has no content role (any more) opens nothing, and an identity is
given only to someone who may still receive it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client

from tipline.accounts import services as accounts
from tipline.accounts.models import Role, RoleGrant, StaffUser
from tipline.accounts.testing import login_staff
from tipline.audit.models import AuditEntry
from tipline.cases import services
from tipline.cases.exceptions import NoAccess, NotAllowed, RequesterNotEligible
from tipline.cases.services import disclosure, exports, workflow
from tipline.conftest import PASSWORD, Setup
from tipline.crypto import boxes
from tipline.register import services as register
from tipline.register.models import DisclosureRequest, IdentityKeyGrant, ReportKeyGrant


def _key(user: StaffUser) -> bytes:
    return accounts.unlock_private_key(user=user, password=PASSWORD)


def _fresh(user: StaffUser) -> StaffUser:
    """The person as a new request would load them (roles are read once per instance)."""
    return StaffUser.objects.get(pk=user.pk)


def _submit(org: Setup, tmp_path: Path, identity: str = "") -> register.Submission:
    version = org.channel.current_questionnaire()
    assert version is not None
    path = tmp_path / "note.bin"
    path.write_bytes(b"evidence")
    submission = register.create_report(
        channel=org.channel,
        questionnaire=version,
        answers={"what": "Tender rigging", "kind": "Fraud"},
        files=[register.IncomingFile(path=path, name="note.bin", size=8)],
        identity=identity,
    )
    register.release_held(report=submission.report, attachment_ids=[a.pk for a in submission.held])
    return submission


def _seal_to(user: StaffUser, submission: register.Submission) -> None:
    """A grant as a channel recipient gets one (whatever their roles)."""
    ReportKeyGrant.objects.get_or_create(
        report=submission.report,
        user=user,
        defaults={"sealed_key": boxes.seal(bytes(user.key.public_key), submission.report_key)},
    )


@pytest.mark.parametrize("role", [Role.CALL_TAKER, Role.REWARD_OFFICER])
def test_a_key_holder_without_a_content_role_reads_nothing(org: Setup, tmp_path: Path, role: Role) -> None:
    person = accounts.create_staff(username="recipient", password=PASSWORD, roles=[role])
    submission = _submit(org, tmp_path)
    report = submission.report
    _seal_to(person, submission)
    staff = Client(enforce_csrf_checks=True)
    login_staff(staff, "recipient", PASSWORD)
    detail = f"/console/reports/{report.reference}/"
    page = staff.get(detail)
    assert page.status_code == 403
    assert "Tender rigging" not in page.content.decode()
    assert staff.get(f"/console/files/{report.attachments.get().pk}/").status_code == 403
    assert staff.get(detail + "export.pdf").status_code == 403
    token = staff.cookies["csrftoken"].value
    assert staff.post(detail, {"body": "Hello"}, HTTP_X_CSRFTOKEN=token).status_code == 403
    assert staff.post(detail + "note/", {"body": "Hm"}, HTTP_X_CSRFTOKEN=token).status_code == 403
    with pytest.raises(NotAllowed):
        services.open_case(report=report, user=_fresh(person), private_key=_key(person))
    assert not AuditEntry.objects.filter(action__in=["report.read", "attachment.download"]).exists()
    assert not report.messages.filter(from_staff=True).exists()
    assert not report.notes.exists()


def test_a_handler_whose_role_was_removed_reads_nothing(org: Setup, tmp_path: Path) -> None:
    submission = _submit(org, tmp_path)
    report = submission.report
    assert services.open_case(report=report, user=_fresh(org.handler), private_key=_key(org.handler))
    RoleGrant.objects.filter(user=org.handler, role=Role.HANDLER).delete()
    handler, key = _fresh(org.handler), _key(org.handler)
    assert ReportKeyGrant.objects.filter(report=report, user=handler).exists()  # the key alone must not do
    with pytest.raises(NotAllowed):
        services.open_case(report=report, user=handler, private_key=key)
    with pytest.raises(NotAllowed):
        services.download_attachment(attachment=report.attachments.get(), user=handler, private_key=key)
    with pytest.raises(NotAllowed):
        services.report_key_for(report=report, user=handler, private_key=key)
    with pytest.raises(NotAllowed):
        exports.render_case_pdf(report=report, by=handler, private_key=key)
    staff = Client(enforce_csrf_checks=True)
    login_staff(staff, "handler", PASSWORD)
    assert staff.get(f"/console/reports/{report.reference}/").status_code == 403


def test_a_deactivated_handler_reads_nothing(org: Setup, tmp_path: Path) -> None:
    report = _submit(org, tmp_path).report
    org.handler.is_active = False
    org.handler.save(update_fields=["is_active"])
    with pytest.raises(NotAllowed):
        services.open_case(report=report, user=_fresh(org.handler), private_key=_key(org.handler))


def _approved(org: Setup, submission: register.Submission) -> None:
    request = disclosure.request_identity(
        report=submission.report, by=org.handler, private_key=_key(org.handler), reason="Protection"
    )
    disclosure.decide_identity(request=request, by=org.supervisor, private_key=_key(org.supervisor), approve=True)


def test_an_approved_handler_whose_role_was_removed_cannot_open_the_identity(org: Setup, tmp_path: Path) -> None:
    submission = _submit(org, tmp_path, identity="Jane Roe")
    _approved(org, submission)
    report = submission.report
    assert disclosure.read_identity(report=report, by=_fresh(org.handler), private_key=_key(org.handler)) == "Jane Roe"
    RoleGrant.objects.filter(user=org.handler).update(role=Role.CALL_TAKER)
    with pytest.raises(NotAllowed):
        disclosure.read_identity(report=report, by=_fresh(org.handler), private_key=_key(org.handler))


def test_a_former_supervisor_cannot_open_identities_sealed_to_them_as_supervisor(org: Setup, tmp_path: Path) -> None:
    report = _submit(org, tmp_path, identity="Jane Roe").report
    assert IdentityKeyGrant.objects.filter(report=report, user=org.supervisor).exists()
    RoleGrant.objects.filter(user=org.supervisor).update(role=Role.HANDLER)
    former = _fresh(org.supervisor)
    assert not disclosure.can_read_identity(report=report, user=former)
    with pytest.raises(NoAccess):
        disclosure.read_identity(report=report, by=former, private_key=_key(former))


def _exclude(org: Setup, submission: register.Submission) -> None:
    workflow.exclude_from_report(report=submission.report, user=org.handler, by=org.supervisor)


def _demote(org: Setup, submission: register.Submission) -> None:
    RoleGrant.objects.filter(user=org.handler).update(role=Role.EDITOR)


def _deactivate(org: Setup, submission: register.Submission) -> None:
    StaffUser.objects.filter(pk=org.handler.pk).update(is_active=False)


@pytest.mark.parametrize("change", [_exclude, _demote, _deactivate], ids=["excluded", "no_longer_handler", "inactive"])
def test_approval_is_refused_when_the_requester_may_no_longer_receive_the_identity(
    org: Setup, tmp_path: Path, change: Callable[[Setup, register.Submission], None]
) -> None:
    submission = _submit(org, tmp_path, identity="Jane Roe")
    report = submission.report
    disclosure.request_identity(report=report, by=org.handler, private_key=_key(org.handler), reason="Protection")
    change(org, submission)
    request = DisclosureRequest.objects.get()
    with pytest.raises(RequesterNotEligible):
        disclosure.decide_identity(request=request, by=org.supervisor, private_key=_key(org.supervisor), approve=True)
    assert not IdentityKeyGrant.objects.filter(report=report, user=org.handler).exists()
    assert DisclosureRequest.objects.get().state == DisclosureRequest.State.PENDING
    assert not AuditEntry.objects.filter(action="disclosure.approve").exists()
    disclosure.decide_identity(request=request, by=org.supervisor, private_key=_key(org.supervisor), approve=False)
    assert DisclosureRequest.objects.get().state == DisclosureRequest.State.REFUSED


def test_the_supervisor_is_told_why_an_approval_was_refused(org: Setup, tmp_path: Path) -> None:
    submission = _submit(org, tmp_path, identity="Jane Roe")
    report = submission.report
    request = disclosure.request_identity(
        report=report, by=org.handler, private_key=_key(org.handler), reason="Protection"
    )
    _exclude(org, submission)
    staff = Client(enforce_csrf_checks=True)
    login_staff(staff, "supervisor", PASSWORD)
    response = staff.post(
        f"/console/reports/{report.reference}/identity/{request.pk}/decide/",
        {"decision": "approve"},
        HTTP_X_CSRFTOKEN=staff.cookies["csrftoken"].value,
    )
    assert response.status_code == 409
    assert "can no longer receive the identity" in response.content.decode()
