"""Helpers for tests (and the end-to-end seed) that log staff in through the real steps.

Nothing here skips a check: the password is posted to the log-in page and the
code is computed from the device's secret, as an authenticator app would.
"""

from __future__ import annotations

import secrets
import time

from django.test import Client
from django.urls import reverse
from django_otp.oath import hotp

from tipline.accounts import factor_secrets
from tipline.accounts.models import SealedTOTPDevice as TOTPDevice
from tipline.accounts.models import StaffUser


def totp_code(device: TOTPDevice) -> str:
    """The code an authenticator app would show for ``device`` now.

    Several log-ins of one person within one 30-second step would reuse a
    code, which django-otp rightly refuses; the next step's code (inside its
    tolerance) is used first, and only beyond that is the replay guard reset.
    """
    device.refresh_from_db()
    now_t = int((time.time() - device.t0) // device.step) + device.drift
    t = max(now_t, device.last_t + 1)
    if t > now_t + device.tolerance:
        TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)
        t = now_t
    return f"{hotp(device.bin_key, t, device.digits):0{device.digits}d}"


def give_authenticator(user: StaffUser, *, key_hex: str | None = None) -> TOTPDevice:
    """A confirmed authenticator for ``user`` (``key_hex``: 40 hex digits, for a known secret)."""
    secret = bytes.fromhex(key_hex) if key_hex else secrets.token_bytes(factor_secrets.TOTP_SECRET_BYTES)
    sealed = factor_secrets.seal_totp_secret(user_id=user.pk, secret=secret)
    device: TOTPDevice = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True, key=sealed)
    return device


def _csrf(client: Client, url: str) -> str:
    response = client.get(url)
    if response.status_code != 200:
        msg = f"GET {url} gave {response.status_code}"
        raise AssertionError(msg)
    return str(response.context["csrf_token"])


def _post(client: Client, url: str, data: dict[str, str]) -> str:
    response = client.post(url, {"csrfmiddlewaretoken": _csrf(client, url), **data})
    if response.status_code != 302:
        msg = f"POST {url} gave {response.status_code}, not a redirect"
        raise AssertionError(msg)
    return str(response["Location"])


def login_staff(client: Client, username: str, password: str) -> None:
    """Log in through the password step and the second step (enrolling on first use).

    Works with ``Client(enforce_csrf_checks=True)``; raises ``AssertionError``
    when a step is refused.
    """
    location = _post(client, reverse("accounts:login"), {"username": username, "password": password})
    step = location.split("?", 1)[0]
    if step not in {reverse("accounts:enrol"), reverse("accounts:verify")}:
        return  # no second step for this account (an editor without an authenticator)
    user = StaffUser.objects.get(username=username)
    confirmed = step == reverse("accounts:verify")
    if not confirmed:
        client.get(location)  # shows the QR code and creates the device being set up
    device = TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("id").first()
    if device is None:
        msg = f"{username} has no authenticator to take a code from"
        raise AssertionError(msg)
    _post(client, location, {"code": totp_code(device)})
