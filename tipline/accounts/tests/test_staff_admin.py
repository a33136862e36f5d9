"""Staff in the Django admin: access to the admin follows the ADMIN role, keys follow the
roles, nobody edits their own roles or active flag, and every change is audited."""

from __future__ import annotations

import pytest
from django.test import Client

from tipline.accounts import services
from tipline.accounts.exceptions import LastEscrowHolder
from tipline.accounts.models import EscrowGrant, Role, StaffUser
from tipline.accounts.testing import login_staff
from tipline.accounts.tests.conftest import post
from tipline.audit.models import AuditEntry
from tipline.cases.services import disclosure
from tipline.conftest import PASSWORD, Setup
from tipline.register import services as register
from tipline.register.models import Channel, GrantReason, IdentityKeyGrant, Report, ReportKeyGrant


def _url(user: StaffUser) -> str:
    return f"/admin/accounts/staffuser/{user.pk}/change/"


def _admin_client(username: str = "admin") -> Client:
    client = Client(enforce_csrf_checks=True)
    login_staff(client, username, PASSWORD)
    return client


def _save(client: Client, user: StaffUser, *, roles: set[str], is_active: bool = True):  # type: ignore[no-untyped-def]
    """Post the change form as the admin page would, with ``roles`` as the role rows."""
    grants = list(user.role_grants.order_by("pk"))
    added = sorted(roles - {g.role for g in grants})
    data: dict[str, str] = {
        "display_name": user.display_name,
        "email": user.email,
        "role_grants-TOTAL_FORMS": str(len(grants) + len(added)),
        "role_grants-INITIAL_FORMS": str(len(grants)),
        "role_grants-MIN_NUM_FORMS": "0",
        "role_grants-MAX_NUM_FORMS": "1000",
    }
    if is_active:
        data["is_active"] = "on"
    for i, grant in enumerate(grants):
        data |= {f"role_grants-{i}-id": str(grant.pk), f"role_grants-{i}-user": str(user.pk)}
        data[f"role_grants-{i}-role"] = grant.role
        if grant.role not in roles:
            data[f"role_grants-{i}-DELETE"] = "on"
    for j, role in enumerate(added, start=len(grants)):
        data |= {f"role_grants-{j}-user": str(user.pk), f"role_grants-{j}-role": role}
    return post(client, _url(user), data)


def _second_admin(org: Setup) -> StaffUser:
    """A second admin, made the right way: with the escrow key."""
    key = services.unlock_private_key(user=org.admin, password=PASSWORD)
    escrow = services.escrow_private_key(admin=org.admin, admin_private_key=key)
    return services.create_staff(username="admin2", password=PASSWORD, roles=[Role.ADMIN], escrow_private_key=escrow)


@pytest.fixture
def admin2(org: Setup) -> StaffUser:
    return _second_admin(org)


def _roles_changed() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action="staff.roles_changed").order_by("seq"))


def test_removing_the_admin_role_takes_the_admin_and_the_escrow_key_away(org: Setup, admin2: StaffUser) -> None:
    theirs = _admin_client("admin2")
    assert theirs.get("/admin/").status_code == 200
    response = _save(_admin_client(), admin2, roles={Role.SUPERVISOR})
    assert response.status_code == 302
    admin2.refresh_from_db()
    assert (admin2.is_staff, admin2.is_superuser) == (False, False)
    assert admin2.roles == {Role.SUPERVISOR}
    assert not EscrowGrant.objects.filter(user=admin2).exists()
    # Logged in, without the admin in their role: said plainly, never the log-in again (a loop).
    refused = theirs.get("/admin/", follow=True)
    assert refused.status_code == 403
    assert "The admin is not part of your role" in refused.content.decode()
    assert 'href="/console/"' in refused.content.decode()
    assert theirs.get(_url(org.admin), follow=True).status_code == 403
    [entry] = _roles_changed()
    assert entry.actor == org.admin
    assert entry.detail == {
        "user": "admin2",
        "before": ["admin"],
        "after": ["supervisor"],
        "escrow_key_removed": True,
        "report_keys_from_escrow": 0,  # a new supervisor receives every report's key (there is none yet)
    }


def test_nobody_changes_their_own_roles_or_active_flag(org: Setup) -> None:
    client = _admin_client()
    page = client.get(_url(org.admin)).content.decode()
    assert 'name="is_active"' not in page
    assert 'name="role_grants-0-DELETE"' not in page
    _save(client, org.admin, roles={Role.EDITOR}, is_active=False)
    org.admin.refresh_from_db()
    assert org.admin.roles == {Role.ADMIN}
    assert org.admin.is_active
    assert org.admin.is_staff
    assert (
        not AuditEntry.objects.filter(action__startswith="staff.")
        .exclude(action__in=["staff.created", "staff.login"])
        .exists()
    )


def test_deactivating_and_activating_an_account_are_audited(org: Setup) -> None:
    client = _admin_client()
    assert _save(client, org.handler, roles={Role.HANDLER}, is_active=False).status_code == 302
    org.handler.refresh_from_db()
    assert not org.handler.is_active
    assert _save(client, org.handler, roles={Role.HANDLER}).status_code == 302
    entries = AuditEntry.objects.filter(action__in=["staff.activated", "staff.deactivated"]).order_by("seq")
    assert [(e.action, e.actor, e.detail) for e in entries] == [
        ("staff.deactivated", org.admin, {"user": "handler"}),
        ("staff.activated", org.admin, {"user": "handler"}),
    ]
    assert not _roles_changed(), "the roles did not change"


def test_the_admin_role_is_refused_to_someone_without_the_escrow_key(org: Setup) -> None:
    response = _save(_admin_client(), org.supervisor, roles={Role.SUPERVISOR, Role.ADMIN})
    assert response.status_code == 200
    assert "must hold the organisation" in response.content.decode()
    org.supervisor.refresh_from_db()
    assert org.supervisor.roles == {Role.SUPERVISOR}
    assert not org.supervisor.is_staff
    assert not _roles_changed()


def test_the_escrow_page_makes_an_admin_with_the_role_and_the_key_together(org: Setup) -> None:
    client = _admin_client()
    assert post(client, "/staff/escrow/grant/", {"user": "supervisor"}).status_code == 400
    assert post(client, "/staff/escrow/grant/", {"user": "supervisor", "make_admin": "on"}).status_code == 302
    supervisor = StaffUser.objects.get(pk=org.supervisor.pk)
    assert supervisor.roles == {Role.SUPERVISOR, Role.ADMIN}
    assert (supervisor.is_staff, supervisor.is_superuser) == (True, True)
    key = services.unlock_private_key(user=supervisor, password=PASSWORD)
    admin_key = services.unlock_private_key(user=org.admin, password=PASSWORD)
    assert services.escrow_private_key(admin=supervisor, admin_private_key=key) == services.escrow_private_key(
        admin=org.admin, admin_private_key=admin_key
    )
    [entry] = _roles_changed()
    assert entry.detail == {"user": "supervisor", "before": ["supervisor"], "after": ["admin", "supervisor"]}


def test_losing_every_content_role_drops_the_persons_report_and_identity_keys(org: Setup) -> None:
    version = org.channel.current_questionnaire()
    assert version is not None
    report = register.create_report(
        channel=org.channel, questionnaire=version, answers={"what": "x", "kind": "Fraud"}, identity="Jane Roe"
    ).report
    request = disclosure.request_identity(
        report=report,
        by=org.handler,
        private_key=services.unlock_private_key(user=org.handler, password=PASSWORD),
        reason="Protection",
    )
    disclosure.decide_identity(
        request=request,
        by=org.supervisor,
        private_key=services.unlock_private_key(user=org.supervisor, password=PASSWORD),
        approve=True,
    )
    assert _save(_admin_client(), org.handler, roles={Role.EDITOR}).status_code == 302
    assert not ReportKeyGrant.objects.filter(user=org.handler).exists()
    assert not IdentityKeyGrant.objects.filter(user=org.handler).exists()
    assert ReportKeyGrant.objects.filter(user=org.supervisor).exists()
    [entry] = _roles_changed()
    assert entry.detail == {
        "user": "handler",
        "before": ["handler"],
        "after": ["editor"],
        "report_keys_removed": 1,
        "identity_keys_removed": 1,
    }


def _report(org: Setup, channel: Channel | None = None, identity: str = "") -> Report:
    channel = channel or org.channel
    version = channel.current_questionnaire()
    assert version is not None
    return register.create_report(
        channel=channel, questionnaire=version, answers={"what": "x", "kind": "Fraud"}, identity=identity
    ).report


def test_a_supervisor_made_handler_keeps_exactly_the_keys_a_handler_would_hold(org: Setup) -> None:
    """Demoted, they keep the reports of the channel they receive, and lose those they held
    only as a supervisor, and every identity key not disclosed to them."""
    services.create_staff(username="second", password=PASSWORD, roles=[Role.SUPERVISOR])
    org.channel.recipients.add(org.supervisor)
    other = Channel.objects.create(slug="other", name="Other")
    register.publish_questionnaire(channel=other)
    received, held_as_supervisor = _report(org, identity="Jane Roe"), _report(org, other)
    before = ReportKeyGrant.objects.get(report=received, user=org.supervisor)
    assert GrantReason(before.reasons) == GrantReason.SUPERVISOR | GrantReason.RECIPIENT
    assert _save(_admin_client(), org.supervisor, roles={Role.HANDLER}).status_code == 302
    kept = ReportKeyGrant.objects.get(report=received, user=org.supervisor)
    assert GrantReason(kept.reasons) == GrantReason.RECIPIENT
    assert bytes(kept.sealed_key) == bytes(before.sealed_key)
    assert not ReportKeyGrant.objects.filter(report=held_as_supervisor, user=org.supervisor).exists()
    assert not IdentityKeyGrant.objects.filter(user=org.supervisor).exists()
    entry = AuditEntry.objects.filter(action="staff.roles_changed").latest("seq")
    assert entry.detail["report_keys_removed"] == 1
    assert entry.detail["identity_keys_removed"] == 1


def test_the_last_supervisor_cannot_be_demoted(org: Setup) -> None:
    response = _save(_admin_client(), org.supervisor, roles={Role.HANDLER})
    assert response.status_code == 200
    assert "last active supervisor" in response.content.decode()
    assert org.supervisor.roles == frozenset({Role.SUPERVISOR})


def test_a_new_supervisor_receives_existing_reports_keys_from_escrow_except_where_excluded(org: Setup) -> None:
    from tipline.cases.services import content, workflow

    assigned, excluded, untouched = _report(org), _report(org), _report(org)
    supervisor_key = services.unlock_private_key(user=org.supervisor, password=PASSWORD)
    workflow.assign_report(report=assigned, handler=org.other_handler, by=org.supervisor, private_key=supervisor_key)
    workflow.exclude_from_report(report=excluded, user=org.other_handler, by=org.supervisor)
    assert _save(_admin_client(), org.other_handler, roles={Role.HANDLER, Role.SUPERVISOR}).status_code == 302
    grants = {g.report_id: GrantReason(g.reasons) for g in ReportKeyGrant.objects.filter(user=org.other_handler)}
    assert grants == {
        assigned.pk: GrantReason.ASSIGNMENT | GrantReason.SUPERVISOR,
        untouched.pk: GrantReason.SUPERVISOR,
    }
    key = services.unlock_private_key(user=org.other_handler, password=PASSWORD)
    assert content.open_case(report=untouched, user=org.other_handler, private_key=key).answers
    entry = AuditEntry.objects.filter(action="staff.roles_changed").latest("seq")
    assert entry.detail["report_keys_from_escrow"] == 2
    assert entry.actor == org.admin


def test_a_supervisor_is_made_only_from_a_session_that_can_open_the_escrow_key(org: Setup) -> None:
    admin2 = _second_admin(org)
    EscrowGrant.objects.filter(user=admin2).delete()  # an admin whose escrow copy is gone
    response = _save(_admin_client("admin2"), org.handler, roles={Role.HANDLER, Role.SUPERVISOR})
    assert response.status_code == 200
    assert "escrow key" in response.content.decode()
    assert Role.SUPERVISOR not in StaffUser.objects.get(pk=org.handler.pk).roles


def test_a_role_that_reads_reports_needs_a_key_pair(org: Setup) -> None:
    editor = services.create_staff(username="ed", password=PASSWORD, roles=[Role.EDITOR])
    response = _save(_admin_client(), editor, roles={Role.EDITOR, Role.HANDLER})
    assert response.status_code == 200
    assert "no key pair" in response.content.decode()


def test_the_last_admin_holding_the_escrow_key_keeps_the_admin_role(org: Setup) -> None:
    with pytest.raises(LastEscrowHolder):
        services.check_role_change(user=org.admin, before=frozenset({"admin"}), after=frozenset())
    _second_admin(org)
    services.check_role_change(user=org.admin, before=frozenset({"admin"}), after=frozenset())
