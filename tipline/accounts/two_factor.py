"""Two-factor log-in with django-otp: an authenticator app (TOTP) and one-time recovery codes.

Every role that can read reports must pass a second step after the password;
others (editors) may choose to. Wrong codes count towards the same per-username
lock-out as wrong passwords (:mod:`tipline.accounts.lockout`).
"""

from __future__ import annotations

import secrets
from base64 import b32encode
from typing import Any
from urllib.parse import quote, urlencode

import qrcode
from django.db import transaction
from django.http import HttpRequest
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django_otp.plugins.otp_static.models import StaticDevice
from qrcode.image.svg import SvgPathFillImage

from tipline.accounts import factor_secrets, lockout
from tipline.accounts.exceptions import AlreadyEnrolled, CodeTooSoon, WrongCode
from tipline.accounts.models import CONTENT_ROLES, StaffUser
from tipline.accounts.models import SealedTOTPDevice as TOTPDevice
from tipline.audit import services as audit

RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: codes are read off paper.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 12  # about 59 bits each
TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"

# django-otp is untyped; its devices are plain Django models.
Device = Any


def is_required(user: StaffUser) -> bool:
    """Two-factor is mandatory for every role that can read reports."""
    return bool(user.roles & CONTENT_ROLES)


def has_authenticator(user: StaffUser) -> bool:
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


def is_verified(request: HttpRequest) -> bool:
    """Whether this session passed the second step (set by django-otp's middleware)."""
    check = getattr(request.user, "is_verified", None)
    return bool(check and check())


def is_pending(request: HttpRequest) -> bool:
    """A logged-in staff member who still owes the second step (or must enrol first)."""
    user = request.user
    if not isinstance(user, StaffUser) or is_verified(request):
        return False
    return is_required(user) or has_authenticator(user)


def start_enrolment(*, user: StaffUser) -> Device:
    """The unconfirmed authenticator being set up (the same one on every reload)."""
    if has_authenticator(user):
        raise AlreadyEnrolled
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        secret = secrets.token_bytes(factor_secrets.TOTP_SECRET_BYTES)
        device = TOTPDevice.objects.create(
            user=user,
            name=TOTP_DEVICE_NAME,
            confirmed=False,
            key=factor_secrets.seal_totp_secret(user_id=user.pk, secret=secret),
        )
    return device


@transaction.atomic
def confirm_enrolment(*, user: StaffUser, code: str) -> tuple[Device, list[str]]:
    """Confirm the authenticator with a current code; return it and fresh recovery codes.

    Wrong codes here do not count towards the lock-out: they test a secret the
    person has just been shown, so guessing them gains nothing.
    """
    if TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).exists():
        raise AlreadyEnrolled
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("id").first()
    token = _digits(code)
    if device is None or token is None or not device.verify_token(token):
        raise WrongCode
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return device, new_recovery_codes(user=user)


@transaction.atomic
def new_recovery_codes(*, user: StaffUser) -> list[str]:
    """Replace the recovery codes with :data:`RECOVERY_CODE_COUNT` new ones; show them once."""
    device, _ = StaticDevice.objects.get_or_create(user=user, defaults={"name": RECOVERY_DEVICE_NAME})
    device.token_set.all().delete()
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH)) for _ in range(RECOVERY_CODE_COUNT)
    ]
    # Only keyed digests are stored: the codes are shown this once and then only checked.
    digests = [factor_secrets.recovery_digest(user_id=user.pk, code=code) for code in codes]
    device.token_set.bulk_create([device.token_set.model(device=device, token=digest) for digest in digests])
    return [format_recovery_code(code) for code in codes]


def recovery_codes_left(user: StaffUser) -> int:
    device = StaticDevice.objects.filter(user=user, confirmed=True).first()
    return int(device.token_set.count()) if device else 0


def is_recovery_device(device: Device) -> bool:
    return isinstance(device, StaticDevice)


def format_recovery_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def verify_code(*, user: StaffUser, code: str, client_tag: str) -> Device:
    """Check a code from the authenticator, or a recovery code (consumed when it matches).

    Raises :class:`AccountLocked` while the username is locked or when this
    failure locks it, :class:`WrongCode`, or :class:`CodeTooSoon` while
    django-otp backs off after a wrong code (that attempt checks nothing and
    does not count).
    """
    lockout.check_not_locked(username=user.get_username(), client_tag=client_tag)
    allowed, matched = _check_devices(user, code)
    if not allowed:
        raise CodeTooSoon
    if matched is None:
        lockout.record_failure(username=user.get_username(), client_tag=client_tag, user=user)
        raise WrongCode
    return matched


def _check_devices(user: StaffUser, code: str) -> tuple[bool, Device | None]:
    # Committed separately from the failure count, so a wrong code is both
    # throttled by the device and counted by the lock-out.
    token = _digits(code)
    model = TOTPDevice if token is not None else StaticDevice
    if token is None and (recovery := _recovery(code)) is not None:
        token = factor_secrets.recovery_digest(user_id=user.pk, code=recovery)
    with transaction.atomic():
        device = model.objects.select_for_update().filter(user=user, confirmed=True).order_by("id").first()
        if device is None or token is None:
            return True, None
        if not device.verify_is_allowed()[0]:
            return False, None
        return True, (device if device.verify_token(token) else None)


def _digits(code: str) -> str | None:
    text = "".join(code.split())
    return text if len(text) == 6 and text.isascii() and text.isdigit() else None


def _recovery(code: str) -> str | None:
    text = "".join(ch for ch in code.lower() if ch not in " -")
    ok = len(text) == _RECOVERY_LENGTH and all(ch in _RECOVERY_ALPHABET for ch in text)
    return text if ok else None


@transaction.atomic
def reset_two_factor(*, user: StaffUser, by: StaffUser | None, reason: str) -> None:
    """Remove the authenticator and recovery codes (lost phone): the person enrols again at the
    next log-in. ``by`` is the admin, or None for the server's operator (management command)."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit.record(action="staff.two_factor_reset", actor=by, detail={"user": user.get_username(), "reason": reason})


def provisioning_uri(device: Device, *, issuer: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    issuer = issuer.replace(":", "")
    label = quote(f"{issuer}:{device.user.get_username()}")
    query = urlencode({"secret": secret_text(device, grouped=False), "issuer": issuer, "digits": device.digits})
    return f"otpauth://totp/{label}?{query}&period={device.step}&algorithm=SHA1"


def secret_text(device: Device, *, grouped: bool = True) -> str:
    """The secret in base32, for typing into an app by hand."""
    text = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4)) if grouped else text


def qr_svg(uri: str, *, label: str) -> SafeString:
    """The QR code as inline ``<svg>`` markup (the CSP forbids data: URLs)."""
    image = qrcode.make(uri, image_factory=SvgPathFillImage, box_size=10, border=4)
    svg = image.to_string(encoding="unicode")
    if isinstance(svg, bytes):
        svg = svg.decode()
    # The markup is built by qrcode from numbers only; the label is escaped.
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))  # noqa: S308
