from __future__ import annotations

import re
import time

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_static.models import StaticToken

from tipline.accounts import factor_secrets, services, two_factor
from tipline.accounts.decorators import SEEN_STEP_SECONDS, STAFF_SEEN
from tipline.accounts.models import Role
from tipline.accounts.models import SealedTOTPDevice as TOTPDevice
from tipline.accounts.testing import give_authenticator, login_staff, totp_code
from tipline.accounts.tests.conftest import error_summary, flash_text, password_step, post
from tipline.conftest import PASSWORD, Setup
from tipline.session_vault import COOKIE_NAME


def test_first_log_in_enrols_with_an_inline_svg_qr_code_and_shows_recovery_codes_once(
    org: Setup, client: Client
) -> None:
    response = password_step(client, "handler")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/two-factor/set-up/")
    assert client.get("/console/")["Location"].startswith("/staff/two-factor/set-up/?next=%2Fconsole%2F")

    page = client.get("/staff/two-factor/set-up/")
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=org.handler, confirmed=False)
    assert re.search(r'<svg role="img" aria-label="[^"]+" [^>]*viewBox=', html)
    assert "<path" in html
    assert "data:" not in html
    assert two_factor.secret_text(device) in html
    assert 'autocomplete="one-time-code"' in html
    assert 'inputmode="numeric"' in html
    assert "<script" not in html

    wrong = post(client, "/staff/two-factor/set-up/", {"code": "000000" if totp_code(device) != "000000" else "111111"})
    assert wrong.status_code == 400
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed

    done = post(client, "/staff/two-factor/set-up/", {"code": totp_code(device)})
    assert done.status_code == 302
    assert done["Location"].startswith("/staff/two-factor/recovery-codes/")
    codes_page = client.get(done["Location"]).content.decode()
    codes = re.findall(r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>", codes_page)
    assert len(codes) == two_factor.RECOVERY_CODE_COUNT
    assert client.get(done["Location"]).status_code == 302, "shown only once"
    assert client.get("/console/").status_code == 200
    assert TOTPDevice.objects.get(pk=device.pk).confirmed


def test_the_set_up_page_keeps_the_same_secret_across_reloads(org: Setup, client: Client) -> None:
    password_step(client, "handler")
    first = client.get("/staff/two-factor/set-up/").content.decode()
    second = client.get("/staff/two-factor/set-up/").content.decode()
    assert TOTPDevice.objects.filter(user=org.handler).count() == 1
    assert two_factor.secret_text(TOTPDevice.objects.get(user=org.handler)) in first
    svg = re.compile(r"<svg.*?</svg>", re.S)
    assert svg.findall(first) == svg.findall(second)


def test_a_later_log_in_asks_for_a_code_and_refuses_a_wrong_one(org: Setup, client: Client, settings: object) -> None:
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # type: ignore[attr-defined]
    device = give_authenticator(org.handler)
    response = password_step(client, "handler")
    assert response["Location"].startswith("/staff/login/code/")
    assert client.get("/console/")["Location"].startswith("/staff/login/code/")
    assert client.get("/staff/two-factor/set-up/")["Location"].startswith("/staff/login/code/")

    page = client.get("/staff/login/code/").content.decode()
    assert 'autocomplete="one-time-code"' in page
    assert 'inputmode="numeric"' in page
    assert "<label" in page

    right = totp_code(device)
    wrong = post(client, "/staff/login/code/", {"code": "123456" if right != "123456" else "654321"})
    assert wrong.status_code == 400
    assert "That code is wrong." in error_summary(wrong.content.decode())
    assert client.get("/console/").status_code == 302

    ok = post(client, "/staff/login/code/?next=/console/", {"code": totp_code(device)})
    assert ok.status_code == 302
    assert ok["Location"] == "/console/"
    assert client.get("/console/").status_code == 200


def test_the_same_code_is_not_accepted_twice(org: Setup, client: Client) -> None:
    from django_otp.oath import hotp

    device = give_authenticator(org.handler)
    login_staff(client, "handler", PASSWORD)
    device.refresh_from_db()
    replay = f"{hotp(device.bin_key, device.last_t):06d}"
    other = Client(enforce_csrf_checks=True)
    password_step(other, "handler")
    assert post(other, "/staff/login/code/", {"code": replay}).status_code == 400


def test_a_code_right_after_a_wrong_one_is_asked_to_wait_and_not_counted(org: Setup, client: Client) -> None:
    device = give_authenticator(org.handler)
    password_step(client, "handler")
    right = totp_code(device)
    post(client, "/staff/login/code/", {"code": "123456" if right != "123456" else "654321"})
    too_soon = post(client, "/staff/login/code/", {"code": right})
    assert too_soon.status_code == 429
    assert "Wait a few seconds" in too_soon.content.decode()
    from tipline.accounts import lockout
    from tipline.accounts.models import LoginThrottle

    here = LoginThrottle.objects.exclude(key=lockout._key("handler", lockout.EVERYWHERE))
    assert here.get(user=org.handler).failures == 1


def test_a_recovery_code_logs_in_once_and_is_used_up(org: Setup, client: Client, settings: object) -> None:
    settings.OTP_STATIC_THROTTLE_FACTOR = 0  # type: ignore[attr-defined]  # no back-off wait between tries here
    give_authenticator(org.handler)
    codes = two_factor.new_recovery_codes(user=org.handler)
    password_step(client, "handler")
    page = client.get("/staff/login/code/").content.decode()
    assert "<details>" in page, "the recovery form needs no JavaScript"

    used = post(client, "/staff/login/code/", {"recovery_code": codes[0].upper().replace("-", " ")})
    assert used.status_code == 302
    console = client.get("/console/")
    assert console.status_code == 200
    assert f"{two_factor.RECOVERY_CODE_COUNT - 1} are left" in flash_text(console.content.decode())
    assert two_factor.recovery_codes_left(org.handler) == two_factor.RECOVERY_CODE_COUNT - 1

    again = Client(enforce_csrf_checks=True)
    password_step(again, "handler")
    refused = post(again, "/staff/login/code/", {"recovery_code": codes[0]})
    assert refused.status_code == 400
    assert again.get("/console/").status_code == 302
    assert post(again, "/staff/login/code/", {"recovery_code": codes[1]}).status_code == 302
    assert StaticToken.objects.filter(device__user=org.handler).count() == two_factor.RECOVERY_CODE_COUNT - 2


def test_new_recovery_codes_replace_the_old_ones(org: Setup, client: Client) -> None:
    give_authenticator(org.handler)
    old = two_factor.new_recovery_codes(user=org.handler)
    login_staff(client, "handler", PASSWORD)
    response = post(client, "/staff/account/", {})
    assert response.status_code == 405
    response = client.post(
        "/staff/two-factor/recovery-codes/new/", {"csrfmiddlewaretoken": _token(client, "/staff/account/")}
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    new = re.findall(r"<code>([a-z2-9-]{14})</code>", page)
    assert len(new) == two_factor.RECOVERY_CODE_COUNT
    assert not set(new) & set(old)
    stored = set(StaticToken.objects.filter(device__user=org.handler).values_list("token", flat=True))
    digest = factor_secrets.recovery_digest
    assert stored == {digest(user_id=org.handler.pk, code=code.replace("-", "")) for code in new}


def _token(client: Client, url: str) -> str:
    return str(client.get(url).context["csrf_token"])


def test_editors_need_no_second_step_but_may_enrol(org: Setup, client: Client) -> None:
    services.create_staff(username="editor", password=PASSWORD, roles=[Role.EDITOR])
    response = password_step(client, "editor")
    assert response["Location"] == "/editor/", "an editor lands on their own work"
    account = client.get("/staff/account/")
    assert account.status_code == 200
    assert "/staff/two-factor/set-up/" in account.content.decode()
    login_staff(Client(enforce_csrf_checks=True), "editor", PASSWORD)  # an editor passes with the password only

    client.get("/staff/two-factor/set-up/")
    device = TOTPDevice.objects.get(user__username="editor")
    assert post(client, "/staff/two-factor/set-up/", {"code": totp_code(device)}).status_code == 302
    later = Client(enforce_csrf_checks=True)
    assert password_step(later, "editor")["Location"].startswith("/staff/login/code/")


def test_the_private_key_reaches_no_view_before_the_second_step(org: Setup, client: Client) -> None:
    password_step(client, "handler")
    for url in ("/console/", "/staff/account/", "/staff/account/password/", "/staff/escrow/restore-access/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/staff/two-factor/set-up/"), url


def test_an_idle_session_is_ended_and_its_vault_forgotten(org: Setup, client: Client) -> None:
    login_staff(client, "handler", PASSWORD)
    assert client.get("/console/").status_code == 200
    session = client.session
    session[STAFF_SEEN] = time.time() - 31 * 60
    session.save()
    response = client.get("/console/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/?next=")
    assert client.cookies[COOKIE_NAME].value == ""
    assert "period without activity" in client.get("/staff/login/").content.decode()
    assert client.get("/console/").status_code == 302


def test_the_idle_limit_follows_the_setting(org: Setup, client: Client, settings: object) -> None:
    settings.TIPLINE_STAFF_IDLE_SECONDS = 120  # type: ignore[attr-defined]
    login_staff(client, "handler", PASSWORD)
    session = client.session
    session[STAFF_SEEN] = time.time() - 100
    session.save()
    assert client.get("/console/").status_code == 200, "activity within the limit keeps the session"
    session = client.session
    session[STAFF_SEEN] = time.time() - 121
    session.save()
    assert client.get("/console/").status_code == 302


def test_activity_is_noted_at_most_once_a_step_and_never_extends_past_the_limit(
    org: Setup, client: Client, settings: object
) -> None:
    settings.TIPLINE_STAFF_IDLE_SECONDS = 1800  # type: ignore[attr-defined]
    login_staff(client, "handler", PASSWORD)
    session = client.session
    session[STAFF_SEEN] = noted = time.time() - 10
    session.save()
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/console/").status_code == 200
    assert not [q for q in queries.captured_queries if "UPDATE" in q["sql"] and "django_session" in q["sql"]]
    assert client.session[STAFF_SEEN] == noted, "a request within the step writes no session row"

    session = client.session
    session[STAFF_SEEN] = time.time() - SEEN_STEP_SECONDS - 1
    session.save()
    before = time.time()
    assert client.get("/console/").status_code == 200
    assert client.session[STAFF_SEEN] >= before, "a request after the step notes the activity"

    session = client.session
    session[STAFF_SEEN] = time.time() - 1800 - 1
    session.save()
    assert client.get("/console/").status_code == 302, "the limit still counts from the last noted activity"


def test_a_short_idle_limit_notes_activity_in_a_thirtieth_of_it(org: Setup, client: Client, settings: object) -> None:
    settings.TIPLINE_STAFF_IDLE_SECONDS = 60  # type: ignore[attr-defined]
    login_staff(client, "handler", PASSWORD)
    session = client.session
    session[STAFF_SEEN] = time.time() - 3  # a thirtieth of 60 s is 2 s
    session.save()
    before = time.time()
    assert client.get("/console/").status_code == 200
    assert client.session[STAFF_SEEN] >= before


def test_a_half_logged_in_session_also_times_out(org: Setup, client: Client) -> None:
    give_authenticator(org.handler)
    password_step(client, "handler")
    session = client.session
    session[STAFF_SEEN] = time.time() - 31 * 60
    session.save()
    response = client.get("/staff/login/code/")
    assert response["Location"].startswith("/staff/login/")
    assert not response["Location"].startswith("/staff/login/code/")


def test_logging_out_drops_the_second_step_too(org: Setup, client: Client) -> None:
    login_staff(client, "handler", PASSWORD)
    client.post("/staff/logout/", {"csrfmiddlewaretoken": _token(client, "/staff/account/")})
    assert client.get("/console/").status_code == 302
    password_step(client, "handler")
    assert client.get("/console/")["Location"].startswith("/staff/login/code/")


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x"])
def test_the_next_address_never_leaves_the_site(org: Setup, client: Client, target: str) -> None:
    device = give_authenticator(org.handler)
    password_step(client, "handler")
    response = post(client, f"/staff/login/code/?next={target}", {"code": totp_code(device)})
    assert response["Location"] == "/console/"


def test_the_operator_can_reset_two_factor_from_the_command_line(org: Setup) -> None:
    from django.core.management import call_command

    from tipline.audit.models import AuditEntry

    give_authenticator(org.admin)
    two_factor.new_recovery_codes(user=org.admin)
    call_command("resettwofactor", "admin", reason="Only admin lost phone and codes")
    assert not two_factor.has_authenticator(org.admin)
    assert two_factor.recovery_codes_left(org.admin) == 0
    entry = AuditEntry.objects.get(action="staff.two_factor_reset")
    assert entry.actor is None
    assert entry.detail == {"user": "admin", "reason": "Only admin lost phone and codes"}
    assert password_step(Client(enforce_csrf_checks=True), "admin")["Location"].startswith("/staff/two-factor/set-up/")
