from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import QuerySet
from django.test import Client
from django.utils import timezone

from tipline.accounts import lockout
from tipline.accounts.models import LoginThrottle
from tipline.accounts.testing import give_authenticator, login_staff, totp_code
from tipline.accounts.tests.conftest import error_summary, flash_text, password_step, post
from tipline.audit.models import AuditEntry
from tipline.conftest import PASSWORD, Setup


def _fail_passwords(client: Client, username: str, times: int) -> list[int]:
    return [password_step(client, username, "not the password at all").status_code for _ in range(times)]


def _here() -> QuerySet[LoginThrottle]:
    """The counts per client (each attempt also goes into the count from everywhere)."""
    everywhere = [lockout._key(name, lockout.EVERYWHERE) for name in ("handler", "someone-else")]
    return LoginThrottle.objects.exclude(key__in=everywhere)


def _later(monkeypatch: pytest.MonkeyPatch, seconds: int) -> None:
    moment = timezone.now() + dt.timedelta(seconds=seconds)
    monkeypatch.setattr(lockout, "_now", lambda: moment)


def test_five_wrong_passwords_lock_the_account_even_for_the_right_password(org: Setup, client: Client) -> None:
    assert _fail_passwords(client, "handler", 5) == [400, 400, 400, 400, 429]
    refused = password_step(client, "handler", PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed attempts" in error_summary(refused.content.decode())
    assert "15 minutes" in error_summary(refused.content.decode())
    assert client.get("/console/").status_code == 302, "not logged in"
    entry = AuditEntry.objects.get(action="staff.locked")
    assert entry.actor == org.handler
    assert _here().get(user=org.handler).locked_until is not None


def test_failures_from_one_address_do_not_lock_the_name_elsewhere(org: Setup, client: Client) -> None:
    """Anyone could lock any staff name by typing it with wrong passwords; the lock now holds
    only for the client the failures came from."""
    assert _fail_passwords(client, "handler", 5)[-1] == 429
    assert password_step(client, "handler", PASSWORD).status_code == 429
    elsewhere = Client(enforce_csrf_checks=True, REMOTE_ADDR="203.0.113.50")
    assert password_step(elsewhere, "handler", PASSWORD).status_code == 302
    assert _fail_passwords(elsewhere, "supervisor", 4) == [400] * 4  # a count of its own


def test_a_name_guessed_from_many_addresses_is_locked_everywhere(org: Setup, settings: object) -> None:
    settings.TIPLINE_LOGIN_ATTEMPTS_OVERALL = 6  # type: ignore[attr-defined]
    statuses = []
    for number in range(4):
        guesser = Client(enforce_csrf_checks=True, REMOTE_ADDR=f"198.51.100.{number + 1}")
        statuses += _fail_passwords(guesser, "handler", 2)
    assert statuses[-1] == 429
    assert AuditEntry.objects.filter(action="staff.locked", detail__everywhere=True).exists()
    elsewhere = Client(enforce_csrf_checks=True, REMOTE_ADDR="203.0.113.9")
    assert password_step(elsewhere, "handler", PASSWORD).status_code == 429


def test_the_lock_ends_after_the_configured_time(org: Setup, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    _fail_passwords(client, "handler", 5)
    _later(monkeypatch, 14 * 60)
    assert password_step(client, "handler", PASSWORD).status_code == 429
    _later(monkeypatch, 15 * 60 + 1)
    login_staff(client, "handler", PASSWORD)
    assert client.get("/console/").status_code == 200
    assert not _here().exists(), "a complete log-in forgets the failures from where it came"


def test_attempts_and_lock_time_follow_the_settings(
    org: Setup, client: Client, settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TIPLINE_LOGIN_ATTEMPTS = 2  # type: ignore[attr-defined]
    settings.TIPLINE_LOGIN_LOCK_SECONDS = 120  # type: ignore[attr-defined]
    assert _fail_passwords(client, "handler", 2) == [400, 429]
    assert "2 minutes" in error_summary(password_step(client, "handler").content.decode())
    _later(monkeypatch, 121)
    assert password_step(client, "handler").status_code == 302


def test_the_lockout_message_does_not_reveal_whether_the_username_exists(org: Setup) -> None:
    known, unknown = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    for attempt in range(6):
        a = password_step(known, "handler", "wrong password here")
        b = password_step(unknown, "nobody-by-this-name", "wrong password here")
        assert a.status_code == b.status_code, attempt
        assert error_summary(a.content.decode()) == error_summary(b.content.decode()), attempt
        assert error_summary(a.content.decode())
    assert AuditEntry.objects.filter(action="staff.locked").count() == 2


def test_no_typed_username_is_stored(org: Setup, client: Client) -> None:
    password_step(client, "my secret passphrase typed in the wrong box", "x")
    rows = list(LoginThrottle.objects.all())
    assert len(rows) == 2  # from this client, and from everywhere
    for row in rows:
        assert row.user is None
        assert "passphrase" not in row.key
        assert len(row.key) == 64


def test_wrong_codes_count_towards_the_lock_and_end_the_half_session(
    org: Setup, client: Client, settings: object
) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # type: ignore[attr-defined]  # our lock-out is what is tested
    device = give_authenticator(org.handler)
    password_step(client, "handler")
    right = totp_code(device)
    wrong = "123456" if right != "123456" else "654321"
    statuses = [post(client, "/staff/login/code/", {"code": wrong}).status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 400, 302]
    assert client.get("/console/")["Location"].startswith("/staff/login/?next=")
    assert "Too many failed attempts" in flash_text(client.get("/staff/login/").content.decode())
    assert password_step(client, "handler").status_code == 429
    assert AuditEntry.objects.filter(action="staff.locked", actor=org.handler).count() == 1


def test_passwords_and_codes_share_one_count(org: Setup, client: Client, settings: object) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # type: ignore[attr-defined]
    device = give_authenticator(org.handler)
    _fail_passwords(client, "handler", 3)
    password_step(client, "handler")
    wrong = "123456" if totp_code(device) != "123456" else "654321"
    assert post(client, "/staff/login/code/", {"code": wrong}).status_code == 400
    assert post(client, "/staff/login/code/", {"code": wrong}).status_code == 302  # the fifth failure
    assert password_step(client, "handler").status_code == 429


def test_a_correct_password_alone_does_not_reset_the_count(org: Setup, client: Client, settings: object) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # type: ignore[attr-defined]
    device = give_authenticator(org.handler)
    wrong = "123456" if totp_code(device) != "123456" else "654321"
    for _ in range(4):
        fresh = Client(enforce_csrf_checks=True)
        password_step(fresh, "handler")
        post(fresh, "/staff/login/code/", {"code": wrong})
    fresh = Client(enforce_csrf_checks=True)
    assert password_step(fresh, "handler").status_code == 302
    assert post(fresh, "/staff/login/code/", {"code": wrong}).status_code == 302
    assert password_step(fresh, "handler").status_code == 429


def test_old_failures_are_forgotten(org: Setup, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    _fail_passwords(client, "handler", 4)
    _later(monkeypatch, 16 * 60)
    assert _fail_passwords(client, "handler", 1) == [400]
    assert _here().get(user=org.handler).failures == 1


def test_stale_rows_are_purged_but_not_current_locks(org: Setup, client: Client) -> None:
    _fail_passwords(client, "someone-else", 1)
    _fail_passwords(client, "handler", 5)
    LoginThrottle.objects.update(updated_at=timezone.now() - dt.timedelta(hours=1))
    assert lockout.purge_stale() == 3  # all but the current lock of handler from this client
    assert LoginThrottle.objects.get().user == org.handler


def test_password_attempts_sent_all_at_once_are_limited_too(org: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each attempt is counted before its slow check: with five in flight, a sixth is refused."""
    from tipline.accounts.exceptions import AccountLocked

    for _ in range(5):
        lockout.take_attempt(username="handler", client_tag="tag")  # five checks still running
    with pytest.raises(AccountLocked):
        lockout.take_attempt(username="handler", client_tag="tag")
    assert AuditEntry.objects.filter(action="staff.locked").count() == 1


def test_a_right_password_does_not_wipe_the_wrong_ones_before_it(org: Setup, client: Client) -> None:
    assert _fail_passwords(client, "handler", 3) == [400, 400, 400]
    assert password_step(client, "handler", PASSWORD).status_code == 302  # on to the second step
    assert _fail_passwords(Client(enforce_csrf_checks=True), "handler", 2) == [400, 429]
