from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from tipline.accounts import services
from tipline.accounts.exceptions import WrongPassword
from tipline.accounts.models import Role
from tipline.accounts.testing import login_staff
from tipline.accounts.tests.conftest import NEW_PASSWORD, password_step, post
from tipline.audit.models import AuditEntry
from tipline.conftest import PASSWORD, Setup
from tipline.register import services as register


@pytest.mark.parametrize(
    ("password", "why"),
    [("Sh0rt&sweet", "too short"), ("password1234", "too common"), ("qwertyuiop123", "too common")],
)
def test_weak_passwords_are_refused(org: Setup, password: str, why: str) -> None:
    with pytest.raises(ValidationError) as refused:
        services.create_staff(username="weak", password=password, roles=[Role.HANDLER])
    assert any(why in message for message in refused.value.messages)
    with pytest.raises(ValidationError):
        services.change_password(user=org.handler, old_password=PASSWORD, new_password=password)
    assert services.unlock_private_key(user=org.handler, password=PASSWORD)


def test_changing_the_password_on_the_page_keeps_access_to_reports(
    org: Setup, client: Client, submission: register.Submission
) -> None:
    login_staff(client, "handler", PASSWORD)
    report_url = f"/console/reports/{submission.report.reference}/"
    assert "Kickbacks in roads" in client.get(report_url).content.decode()
    page = client.get("/staff/account/password/").content.decode()
    assert 'autocomplete="current-password"' in page
    assert 'autocomplete="new-password"' in page
    assert "at least 12 characters" in page

    data = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    response = post(client, "/staff/account/password/", data)
    assert response.status_code == 302
    assert "Kickbacks in roads" in client.get(report_url).content.decode(), "same session, same unlocked key"
    assert AuditEntry.objects.filter(action="staff.password_changed", actor=org.handler).exists()

    assert password_step(Client(enforce_csrf_checks=True), "handler", PASSWORD).status_code == 400
    again = Client(enforce_csrf_checks=True)
    login_staff(again, "handler", NEW_PASSWORD)
    assert "Kickbacks in roads" in again.get(report_url).content.decode()
    org.handler.refresh_from_db()
    with pytest.raises(WrongPassword):
        services.unlock_private_key(user=org.handler, password=PASSWORD)


def test_the_password_page_refuses_a_wrong_current_password_and_a_mismatch(org: Setup, client: Client) -> None:
    login_staff(client, "handler", PASSWORD)
    wrong = {"current_password": "not it at all", "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    response = post(client, "/staff/account/password/", wrong)
    assert response.status_code == 400
    assert "not your current password" in response.content.decode()
    differ = {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD + "x"}
    assert post(client, "/staff/account/password/", differ).status_code == 400
    weak = {"current_password": PASSWORD, "new_password": "password1234", "new_password_again": "password1234"}
    response = post(client, "/staff/account/password/", weak)
    assert response.status_code == 400
    assert "too common" in response.content.decode()
    org.handler.refresh_from_db()
    assert org.handler.check_password(PASSWORD)


def test_wrong_current_passwords_count_towards_the_lock(org: Setup, client: Client, settings: object) -> None:
    settings.TIPLINE_LOGIN_ATTEMPTS = 2  # type: ignore[attr-defined]
    login_staff(client, "handler", PASSWORD)
    wrong = {"current_password": "not it at all", "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    assert post(client, "/staff/account/password/", wrong).status_code == 400
    locked = post(client, "/staff/account/password/", wrong)
    assert locked["Location"] == "/staff/login/"
    assert client.get("/console/").status_code == 302


@pytest.fixture
def derivations(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """For every key derivation and password hash from now on: was a transaction open?"""
    from django.contrib.auth import hashers
    from django.db import connection

    from tipline.crypto import kdf

    inside: list[bool] = []
    derive, make_password = kdf.derive, hashers.make_password

    def watched_derive(*args: object, **kwargs: object) -> bytes:
        inside.append(connection.in_atomic_block)
        return derive(*args, **kwargs)  # type: ignore[arg-type]

    def watched_hash(*args: object, **kwargs: object) -> str:
        inside.append(connection.in_atomic_block)
        return make_password(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(kdf, "derive", watched_derive)
    monkeypatch.setattr("django.contrib.auth.base_user.make_password", watched_hash)
    return inside


@pytest.mark.django_db(transaction=True)
def test_no_key_derivation_runs_inside_a_transaction(derivations: list[bool]) -> None:
    """A derivation takes tens of milliseconds (longer when it waits for a slot); on SQLite a
    transaction holds the database's write lock all that time, so none may run inside one."""
    user = services.create_staff(username="fresh", password=PASSWORD, roles=[Role.HANDLER], validate=False)
    services.change_password(user=user, old_password=PASSWORD, new_password=NEW_PASSWORD)
    assert services.unlock_private_key(user=user, password=NEW_PASSWORD)
    assert len(derivations) >= 4  # two wrappings, two password hashes
    assert not any(derivations), "a derivation ran while a transaction held the database"


@pytest.mark.django_db(transaction=True)
def test_restoring_access_derives_outside_its_transaction(org: Setup, derivations: list[bool]) -> None:
    admin_key = services.unlock_private_key(user=org.admin, password=PASSWORD)
    derivations.clear()
    services.restore_access(
        user=org.handler, new_password=NEW_PASSWORD, reason="lost password", by=org.admin, admin_private_key=admin_key
    )
    assert services.unlock_private_key(user=org.handler, password=NEW_PASSWORD)
    assert len(derivations) >= 3  # the new key's wrapping, the password hash, the check just above
    assert not any(derivations), "a derivation ran while a transaction held the database"
