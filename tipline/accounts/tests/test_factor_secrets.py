"""The second factor's secrets are never in clear in the database (issue 11): an
authenticator's TOTP secret is sealed, recovery codes are kept as keyed digests, and a
database that held them in clear is sealed by its migration."""

from __future__ import annotations

import re
import secrets

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken

from tipline.accounts import factor_secrets, two_factor
from tipline.accounts.models import SealedTOTPDevice, StaffUser
from tipline.accounts.testing import give_authenticator, totp_code
from tipline.accounts.tests.conftest import password_step, post
from tipline.conftest import Setup
from tipline.crypto.errors import DecryptionFailed


def _raw_key(device_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM otp_totp_totpdevice WHERE id = %s", [device_id])
        return str(cursor.fetchone()[0])


def test_the_authenticator_secret_shown_at_set_up_is_not_in_the_database(org: Setup, client: Client) -> None:
    password_step(client, "handler")
    html = client.get("/staff/two-factor/set-up/").content.decode()
    device = SealedTOTPDevice.objects.get(user=org.handler)
    shown = two_factor.secret_text(device, grouped=False)
    assert shown.replace(" ", "") in html.replace(" ", "")
    stored = _raw_key(device.pk)
    assert factor_secrets.is_sealed(stored)
    assert device.bin_key.hex() not in stored
    assert shown not in stored
    assert post(client, "/staff/two-factor/set-up/", {"code": totp_code(device)}).status_code == 302


def test_a_secret_copied_onto_another_persons_device_does_not_open(org: Setup) -> None:
    """Whoever writes to the database cannot give someone else's account their own
    authenticator: the secret is sealed for one person only."""
    mine = give_authenticator(org.handler)
    theirs = give_authenticator(org.other_handler)
    SealedTOTPDevice.objects.filter(pk=theirs.pk).update(key=mine.key)
    moved = SealedTOTPDevice.objects.get(pk=theirs.pk)
    with pytest.raises(DecryptionFailed):
        moved.verify_token(f"{totp(mine.bin_key):06d}")


def test_recovery_codes_are_stored_only_as_keyed_digests(org: Setup) -> None:
    give_authenticator(org.handler)
    codes = [code.replace("-", "") for code in two_factor.new_recovery_codes(user=org.handler)]
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert len(stored) == two_factor.RECOVERY_CODE_COUNT
    assert not stored & set(codes)
    # Still usable once, and the digest depends on who owns the code.
    client = Client(enforce_csrf_checks=True)
    password_step(client, "handler")
    assert post(client, "/staff/login/code/", {"code": codes[0]}).status_code == 302
    assert StaticToken.objects.count() == two_factor.RECOVERY_CODE_COUNT - 1
    other = factor_secrets.recovery_digest(user_id=org.other_handler.pk, code=codes[1])
    assert other != factor_secrets.recovery_digest(user_id=org.handler.pk, code=codes[1])


@pytest.mark.django_db(transaction=True)
def test_the_migration_seals_secrets_stored_in_clear() -> None:
    executor = MigrationExecutor(connection)
    before = [("accounts", "0003_admin_rights_follow_role")]
    executor.migrate(before)
    old = executor.loader.project_state(
        [*before, ("otp_totp", "0003_add_timestamps"), ("otp_static", "0003_add_timestamps")]
    ).apps
    user = old.get_model("accounts", "StaffUser").objects.create(username="kim", password="x")
    secret = secrets.token_bytes(20)
    device = old.get_model("otp_totp", "TOTPDevice").objects.create(
        user_id=user.pk, name="Authenticator app", confirmed=True, key=secret.hex()
    )
    static = old.get_model("otp_static", "StaticDevice").objects.create(user_id=user.pk, name="Recovery codes")
    old.get_model("otp_static", "StaticToken").objects.create(device=static, token="abcdefghjkmn")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([("accounts", "0004_seal_second_factors")])

    stored = _raw_key(device.pk)
    assert factor_secrets.is_sealed(stored)
    assert secret.hex() not in stored
    assert SealedTOTPDevice.objects.get(pk=device.pk).bin_key == secret
    token = StaticToken.objects.get()
    assert token.token == factor_secrets.recovery_digest(user_id=user.pk, code="abcdefghjkmn")
    assert re.fullmatch(r"[a-z2-7]{16}", token.token)
    assert StaffUser.objects.filter(pk=user.pk).exists()
