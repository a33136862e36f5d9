from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from tipline.accounts import services, two_factor
from tipline.accounts.exceptions import EscrowUnavailable, NotPermitted, ReasonRequired, WrongPassword
from tipline.accounts.models import EscrowGrant, Role, RoleGrant, StaffUser
from tipline.accounts.testing import give_authenticator, login_staff
from tipline.accounts.tests.conftest import NEW_PASSWORD, password_step, post
from tipline.audit.models import AuditEntry
from tipline.conftest import PASSWORD, Setup
from tipline.crypto import boxes
from tipline.register import services as register
from tipline.register.models import IdentityKeyGrant, ReportKeyGrant

REASON = "Lost password; identified in person by J. Smith"


def _admin_key(org: Setup) -> bytes:
    return services.unlock_private_key(user=org.admin, password=PASSWORD)


def _answers(report_key: bytes, submission: register.Submission) -> dict[str, object]:
    return {q["key"]: v for q, v in register.read_answers(report=submission.report, report_key=report_key)}


def _restore(org: Setup, user: StaffUser, **extra: object) -> None:
    services.restore_access(
        user=user,
        new_password=NEW_PASSWORD,
        reason=REASON,
        by=org.admin,
        admin_private_key=_admin_key(org),
        **extra,  # type: ignore[arg-type]
    )


def test_restore_access_gives_back_old_reports_and_the_old_password_stops_working(
    org: Setup, submission: register.Submission
) -> None:
    old_public = bytes(org.handler.key.public_key)
    _restore(org, org.handler)
    org.handler.refresh_from_db()

    with pytest.raises(WrongPassword):
        services.unlock_private_key(user=org.handler, password=PASSWORD)
    assert not org.handler.check_password(PASSWORD)
    new_key = services.unlock_private_key(user=org.handler, password=NEW_PASSWORD)
    assert bytes(org.handler.key.public_key) != old_public
    grant = ReportKeyGrant.objects.get(report=submission.report, user=org.handler)
    report_key = boxes.unseal(new_key, bytes(grant.sealed_key))
    assert report_key == submission.report_key
    assert _answers(report_key, submission)["what"] == "Kickbacks in roads"
    assert org.handler.password_must_change

    entry = AuditEntry.objects.get(action="escrow.restore_access")
    assert entry.actor == org.admin
    assert entry.detail["user"] == "handler"
    assert entry.detail["reason"] == REASON
    assert entry.detail["reports"] == [submission.report.reference]


def test_restore_access_needs_a_reason_an_admin_and_a_good_password(org: Setup) -> None:
    admin_key = _admin_key(org)
    supervisor_key = services.unlock_private_key(user=org.supervisor, password=PASSWORD)
    refusals: list[tuple[type[Exception], dict[str, Any]]] = [
        (ReasonRequired, {"reason": "  "}),
        (NotPermitted, {"by": org.supervisor, "admin_private_key": supervisor_key}),
        (ValidationError, {"new_password": "short"}),
        (EscrowUnavailable, {"admin_private_key": supervisor_key}),
    ]
    for error, change in refusals:
        arguments: dict[str, Any] = {
            "user": org.handler,
            "new_password": NEW_PASSWORD,
            "reason": REASON,
            "by": org.admin,
            "admin_private_key": admin_key,
        }
        with pytest.raises(error):
            services.restore_access(**(arguments | change))
    assert org.handler.check_password(PASSWORD), "nothing changed"
    assert not AuditEntry.objects.filter(action="escrow.restore_access").exists()


def test_a_supervisors_identity_grants_are_lost_without_an_escrow_copy(
    org: Setup, submission: register.Submission
) -> None:
    assert IdentityKeyGrant.objects.filter(report=submission.report, user=org.supervisor).exists()
    _restore(org, org.supervisor)
    assert not IdentityKeyGrant.objects.filter(report=submission.report, user=org.supervisor).exists()
    assert AuditEntry.objects.get(action="escrow.restore_access").detail["identity_grants_lost"] == 1


def test_identity_grants_with_an_escrow_copy_are_restored(org: Setup, submission: register.Submission) -> None:
    report = submission.report
    supervisor_key = services.unlock_private_key(user=org.supervisor, password=PASSWORD)
    identity_key = boxes.unseal(supervisor_key, bytes(report.identity_grants.get(user=org.supervisor).sealed_key))
    escrow_public = bytes(services.get_organisation().escrow_public_key)
    IdentityKeyGrant.objects.create(report=report, user=None, sealed_key=boxes.seal(escrow_public, identity_key))

    _restore(org, org.supervisor)
    org.supervisor.refresh_from_db()
    new_key = services.unlock_private_key(user=org.supervisor, password=NEW_PASSWORD)
    reopened = boxes.unseal(new_key, bytes(report.identity_grants.get(user=org.supervisor).sealed_key))
    assert register.read_identity(report=report, identity_key=reopened) == "Jane Roe, 555-0100"


def test_a_restored_admin_keeps_the_escrow_key(org: Setup) -> None:
    second = _second_admin(org)
    services.grant_escrow(to=second, by=org.admin, admin_private_key=_admin_key(org))
    escrow = services.escrow_private_key(admin=org.admin, admin_private_key=_admin_key(org))
    second_key = services.unlock_private_key(user=second, password=PASSWORD)
    services.restore_access(
        user=org.admin, new_password=NEW_PASSWORD, reason=REASON, by=second, admin_private_key=second_key
    )
    org.admin.refresh_from_db()
    new_key = services.unlock_private_key(user=org.admin, password=NEW_PASSWORD)
    assert services.escrow_private_key(admin=org.admin, admin_private_key=new_key) == escrow


def test_an_admin_cannot_restore_their_own_access(org: Setup) -> None:
    with pytest.raises(NotPermitted):
        _restore(org, org.admin)


def _second_admin(org: Setup) -> StaffUser:
    """An admin made from a supervisor (as in the Django admin): no escrow grant yet."""
    del org
    user = services.create_staff(username="admin2", password=PASSWORD, roles=[Role.SUPERVISOR])
    RoleGrant.objects.create(user=user, role=Role.ADMIN)
    return user


def test_grant_escrow_lets_a_second_admin_open_the_escrow_key(org: Setup) -> None:
    second = _second_admin(org)
    second_key = services.unlock_private_key(user=second, password=PASSWORD)
    with pytest.raises(EscrowUnavailable):
        services.escrow_private_key(admin=second, admin_private_key=second_key)
    with pytest.raises(NotPermitted):
        services.grant_escrow(to=org.handler, by=org.admin, admin_private_key=_admin_key(org))
    services.grant_escrow(to=second, by=org.admin, admin_private_key=_admin_key(org))
    second.refresh_from_db()
    escrow = services.escrow_private_key(admin=second, admin_private_key=second_key)
    assert escrow == services.escrow_private_key(admin=org.admin, admin_private_key=_admin_key(org))
    entry = AuditEntry.objects.get(action="escrow.granted")
    assert (entry.actor, entry.detail) == (org.admin, {"to": "admin2"})


# ---------------------------------------------------------------- the pages


def test_an_admin_restores_access_on_the_page_and_the_handler_reads_the_report_again(
    org: Setup, submission: register.Submission
) -> None:
    admin = Client(enforce_csrf_checks=True)
    login_staff(admin, "admin", PASSWORD)
    page = admin.get("/staff/escrow/restore-access/")
    assert page.status_code == 200
    data = {"user": "handler", "reason": REASON, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    response = post(admin, "/staff/escrow/restore-access/", data)
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="escrow.restore_access", actor=org.admin).exists()

    handler = Client(enforce_csrf_checks=True)
    assert password_step(handler, "handler", PASSWORD).status_code == 400
    login_staff(handler, "handler", NEW_PASSWORD)
    forced = handler.get(f"/console/reports/{submission.report.reference}/")
    assert forced.status_code == 302
    assert forced["Location"].startswith("/staff/account/password/")
    changed = post(
        handler,
        "/staff/account/password/",
        {
            "current_password": NEW_PASSWORD,
            "new_password": "my own chosen passphrase 77",
            "new_password_again": "my own chosen passphrase 77",
        },
    )
    assert changed.status_code == 302
    page = handler.get(f"/console/reports/{submission.report.reference}/")
    assert page.status_code == 200
    assert "Kickbacks in roads" in page.content.decode()


def test_the_restore_page_refuses_a_missing_reason_and_a_weak_password(org: Setup) -> None:
    admin = Client(enforce_csrf_checks=True)
    login_staff(admin, "admin", PASSWORD)
    data = {"user": "handler", "reason": "", "new_password": "password1234", "new_password_again": "password1234"}
    response = post(admin, "/staff/escrow/restore-access/", data)
    assert response.status_code == 400
    data["reason"] = REASON
    response = post(admin, "/staff/escrow/restore-access/", data)
    assert response.status_code == 400
    assert "too common" in response.content.decode()
    org.handler.refresh_from_db()
    assert org.handler.check_password(PASSWORD)


def test_the_restore_page_can_reset_two_factor(org: Setup) -> None:
    give_authenticator(org.handler)
    admin = Client(enforce_csrf_checks=True)
    login_staff(admin, "admin", PASSWORD)
    data = {
        "user": "handler",
        "reason": REASON,
        "new_password": NEW_PASSWORD,
        "new_password_again": NEW_PASSWORD,
        "reset_two_factor": "on",
    }
    assert post(admin, "/staff/escrow/restore-access/", data).status_code == 302
    assert not TOTPDevice.objects.filter(user=org.handler).exists()
    assert AuditEntry.objects.filter(action="staff.two_factor_reset", actor=org.admin).exists()
    assert password_step(Client(enforce_csrf_checks=True), "handler", NEW_PASSWORD)["Location"].startswith(
        "/staff/two-factor/set-up/"
    )


@pytest.mark.parametrize("username", ["handler", "supervisor"])
def test_non_admins_get_403_on_the_escrow_pages(org: Setup, username: str) -> None:
    staff = Client(enforce_csrf_checks=True)
    login_staff(staff, username, PASSWORD)
    for url in ("/staff/escrow/restore-access/", "/staff/escrow/grant/"):
        assert staff.get(url).status_code == 403
        token = str(staff.get("/staff/account/").context["csrf_token"])
        data = {
            "csrfmiddlewaretoken": token,
            "user": "other",
            "reason": REASON,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        }
        assert staff.post(url, data).status_code == 403
    assert not AuditEntry.objects.filter(action__startswith="escrow.").exists()
    assert services.unlock_private_key(user=org.other_handler, password=PASSWORD)


def test_the_grant_page_shares_the_escrow_key(org: Setup) -> None:
    second = _second_admin(org)
    admin = Client(enforce_csrf_checks=True)
    login_staff(admin, "admin", PASSWORD)
    assert post(admin, "/staff/escrow/grant/", {"user": "handler"}).status_code == 400
    assert post(admin, "/staff/escrow/grant/", {"user": "admin2"}).status_code == 302
    assert EscrowGrant.objects.filter(user=second).exists()


def test_the_escrow_pages_need_the_second_step(org: Setup) -> None:
    admin = Client(enforce_csrf_checks=True)
    password_step(admin, "admin")
    assert admin.get("/staff/escrow/restore-access/")["Location"].startswith("/staff/two-factor/set-up/")
    assert two_factor.is_required(org.admin)
