"""Seal the second factor's secrets already stored in clear: each authenticator's TOTP
secret is encrypted (tipline.accounts.factor_secrets) and each unused recovery code is
replaced by its keyed digest. Going back opens the TOTP secrets again; recovery codes
cannot be recovered from their digests, so after going back each person prints new ones."""

from binascii import unhexlify

from django.db import migrations

from tipline.accounts import factor_secrets


def seal(apps, schema_editor):  # type: ignore[no-untyped-def]
    devices = apps.get_model("otp_totp", "TOTPDevice")
    for device in devices.objects.all():
        if not factor_secrets.is_sealed(device.key):
            device.key = factor_secrets.seal_totp_secret(user_id=device.user_id, secret=unhexlify(device.key))
            device.save(update_fields=["key"])
    tokens = apps.get_model("otp_static", "StaticToken")
    for token in tokens.objects.select_related("device"):
        token.token = factor_secrets.recovery_digest(user_id=token.device.user_id, code=token.token)
        token.save(update_fields=["token"])


def unseal(apps, schema_editor):  # type: ignore[no-untyped-def]
    devices = apps.get_model("otp_totp", "TOTPDevice")
    for device in devices.objects.all():
        if factor_secrets.is_sealed(device.key):
            secret = factor_secrets.open_totp_secret(user_id=device.user_id, sealed=device.key)
            device.key = secret.hex()
            device.save(update_fields=["key"])
    apps.get_model("otp_static", "StaticToken").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_admin_rights_follow_role"),
        ("otp_totp", "0003_add_timestamps"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [
        migrations.CreateModel(
            name="SealedTOTPDevice",
            fields=[],
            options={"proxy": True, "indexes": [], "constraints": []},
            bases=("otp_totp.totpdevice",),
        ),
        migrations.RunPython(seal, unseal),
    ]
