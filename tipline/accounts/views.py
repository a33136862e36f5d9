"""Staff log-in in two steps, two-factor set-up, password change, and the escrow pages.

The password step unlocks the private key into the session vault; the
second step (a code, or enrolment on first log-in) marks the session as
verified with django-otp. Until then ``staff_required`` views redirect here.
"""

from __future__ import annotations

import math
import time
from typing import Any

import django_otp
from django.contrib import messages as flash
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from tipline import session_vault
from tipline.accounts import lockout, services, two_factor
from tipline.accounts.decorators import (
    PRIVATE_KEY_SECRET,
    STAFF_SEEN,
    password_step_done,
    second_step_url,
    staff_required,
    staff_required_password_due,
)
from tipline.accounts.exceptions import (
    AccountError,
    AccountLocked,
    AlreadyEnrolled,
    CodeTooSoon,
    EscrowUnavailable,
    NoKeyPair,
    NotPermitted,
    ReasonRequired,
    WrongCode,
    WrongPassword,
)
from tipline.accounts.forms import (
    CodeForm,
    EnrolForm,
    GrantEscrowForm,
    LoginForm,
    PasswordChangeForm,
    RestoreAccessForm,
)
from tipline.accounts.landing import landing
from tipline.accounts.models import Organisation, Role, StaffUser
from tipline.audit import services as audit
from tipline.typed_request import client_tag

RECOVERY_CODES_SECRET = "recovery_codes"

_ESCROW_ERRORS: dict[type[AccountError], tuple[str | None, Any]] = {
    EscrowUnavailable: (None, gettext_lazy("Your account does not hold the escrow key. Ask another administrator.")),
    NotPermitted: ("user", gettext_lazy("This cannot be done for this account (or for your own).")),
    NoKeyPair: ("user", gettext_lazy("This account has no key pair.")),
    ReasonRequired: ("reason", gettext_lazy("Write the reason.")),
}


def _next(request: HttpRequest) -> str:
    target = request.GET.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(_landing(request.user))


def _landing(user: object) -> str:
    return landing(user).url_name


def _with_next(url_name: str, request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse(url_name)}?{urlencode({'next': _next(request)})}")


def _staff(request: HttpRequest) -> StaffUser:
    assert isinstance(request.user, StaffUser)  # noqa: S101 - the auth model; a decorator ran
    return request.user


def _status(form: Any, status: int = 400) -> int:
    return status if form.errors else 200


def lock_message(locked: AccountLocked) -> str:
    """The same words whether or not the username exists."""
    minutes = max(1, math.ceil((locked.until - timezone.now()).total_seconds() / 60))
    return ngettext(
        "Too many failed attempts. Log-in with this username is paused: try again in %(minutes)d minute.",
        "Too many failed attempts. Log-in with this username is paused: try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def _locked_out(request: HttpRequest, locked: AccountLocked) -> HttpResponse:
    auth_logout(request)
    session_vault.close_vault(request)
    flash.error(request, lock_message(locked))
    return redirect("accounts:login")


@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    """The password step: unlock the private key into the vault, then ask for the second step."""
    form = LoginForm(request.POST if request.method == "POST" else None)
    status = 400
    if request.method == "POST" and form.is_valid():
        password = form.cleaned_data["password"]
        try:
            user = services.authenticate_staff(
                username=form.cleaned_data["username"], password=password, client_tag=client_tag(request)
            )
        except AccountLocked as locked:
            form.add_error(None, lock_message(locked))
            status = 429
        except WrongPassword:
            form.add_error(None, _("Username or password is wrong."))
        else:
            _open_session(request, user, password)
            if two_factor.is_pending(request):
                return _with_next(second_step_url(user), request)
            lockout.clear_failures(user=user, client_tag=client_tag(request))
            audit.record(action="staff.login", actor=user)
            return redirect(_next(request))
    return render(request, "accounts/login.html", {"form": form}, status=_status(form, status))


def _open_session(request: HttpRequest, user: StaffUser, password: str) -> None:
    auth_login(request, user)
    session_vault.open_vault(request)
    try:
        private_key = services.unlock_private_key(user=user, password=password)
    except (NoKeyPair, WrongPassword):
        private_key = None
    if private_key is not None:
        session_vault.put_secret(request, PRIVATE_KEY_SECRET, private_key)
    request.session[STAFF_SEEN] = time.time()


def _verified(request: HttpRequest, user: StaffUser, device: Any) -> None:
    request.session.cycle_key()
    django_otp.login(request, device)
    lockout.clear_failures(user=user, client_tag=client_tag(request))
    audit.record(
        action="staff.login",
        actor=user,
        detail={"second_step": "recovery code" if two_factor.is_recovery_device(device) else "authenticator"},
    )


@require_http_methods(["GET", "POST"])
@password_step_done
def verify(request: HttpRequest, user: StaffUser) -> HttpResponseBase:
    """The second step: a code from the authenticator app, or a recovery code (used up)."""
    if two_factor.is_verified(request):
        return redirect(_next(request))
    if not two_factor.has_authenticator(user):
        return _with_next("accounts:enrol", request)
    form = CodeForm(request.POST if request.method == "POST" else None)
    status = 400
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.verify_code(user=user, code=form.given_code(), client_tag=client_tag(request))
        except AccountLocked as locked:
            return _locked_out(request, locked)
        except CodeTooSoon:
            form.add_error(None, _("Wait a few seconds after a wrong code, then try again."))
            status = 429
        except WrongCode:
            form.add_error(None, _("That code is wrong."))
        else:
            _verified(request, user, device)
            if two_factor.is_recovery_device(device):
                left = two_factor.recovery_codes_left(user)
                flash.warning(
                    request,
                    ngettext(
                        "You used a recovery code; %(count)d is left.",
                        "You used a recovery code; %(count)d are left.",
                        left,
                    )
                    % {"count": left},
                )
            return redirect(_next(request))
    return render(request, "accounts/verify.html", {"form": form, "next": _next(request)}, status=_status(form, status))


def _issuer() -> str:
    name = Organisation.objects.filter(pk=1).values_list("name", flat=True).first()
    return name or "Tipline"


@require_http_methods(["GET", "POST"])
@password_step_done
def enrol(request: HttpRequest, user: StaffUser) -> HttpResponseBase:
    """Set up the authenticator: QR code and secret, confirm with a code, then recovery codes."""
    try:
        device = two_factor.start_enrolment(user=user)
    except AlreadyEnrolled:
        return (
            redirect("accounts:security") if two_factor.is_verified(request) else _with_next("accounts:verify", request)
        )
    form = EnrolForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = two_factor.confirm_enrolment(user=user, code=form.cleaned_data["code"])
        except WrongCode:
            form.add_error("code", _("That code is wrong. Type the code the app shows now (check the phone's clock)."))
        else:
            _verified(request, user, device)
            session_vault.put_secret(request, RECOVERY_CODES_SECRET, "\n".join(codes).encode())
            return _with_next("accounts:recovery_codes", request)
    issuer = _issuer()
    context = {
        "form": form,
        "qr_svg": two_factor.qr_svg(
            two_factor.provisioning_uri(device, issuer=issuer), label=_("QR code to scan with the authenticator app")
        ),
        "secret": two_factor.secret_text(device),
        "issuer": issuer,
        "required": two_factor.is_required(user),
    }
    return render(request, "accounts/enrol.html", context, status=_status(form))


@require_http_methods(["GET"])
@staff_required_password_due
def recovery_codes(request: HttpRequest, private_key: bytes | None) -> HttpResponse:
    """Show new recovery codes once: they are taken out of the vault as they are shown."""
    del private_key
    raw = session_vault.pop_secret(request, RECOVERY_CODES_SECRET)
    if raw is None:
        flash.info(request, _("Recovery codes are shown only once. You can make new ones here."))
        return redirect("accounts:security")
    return render(request, "accounts/recovery_codes.html", {"codes": raw.decode().split("\n"), "next": _next(request)})


@require_POST
@staff_required_password_due
def new_recovery_codes(request: HttpRequest, private_key: bytes | None) -> HttpResponse:
    del private_key
    user = _staff(request)
    if not two_factor.has_authenticator(user):
        return redirect("accounts:security")
    codes = two_factor.new_recovery_codes(user=user)
    session_vault.put_secret(request, RECOVERY_CODES_SECRET, "\n".join(codes).encode())
    return redirect(f"{reverse('accounts:recovery_codes')}?{urlencode({'next': reverse('accounts:security')})}")


@require_http_methods(["GET"])
@staff_required_password_due
def security(request: HttpRequest, private_key: bytes | None) -> HttpResponse:
    """The staff member's own account: two-factor state, recovery codes, password."""
    user = _staff(request)
    context = {
        "has_authenticator": two_factor.has_authenticator(user),
        "required": two_factor.is_required(user),
        "codes_left": two_factor.recovery_codes_left(user),
        "is_admin": user.has_role(Role.ADMIN),
        "has_key": private_key is not None,
    }
    return render(request, "accounts/security.html", context)


@require_http_methods(["GET", "POST"])
@staff_required_password_due
def change_password(request: HttpRequest, private_key: bytes | None) -> HttpResponse:
    """Change the password; the private key is re-wrapped, so the vault keeps working."""
    del private_key
    user = _staff(request)
    form = PasswordChangeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            lockout.check_not_locked(username=user.get_username(), client_tag=client_tag(request))
            services.change_password(
                user=user,
                old_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except AccountLocked as locked:
            return _locked_out(request, locked)
        except WrongPassword:
            return _wrong_current_password(request, user, form)
        except ValidationError as error:
            form.add_error("new_password", error)
        else:
            update_session_auth_hash(request, user)
            flash.success(request, _("Your password is changed."))
            return redirect(_next(request))
    return render(request, "accounts/password.html", {"form": form}, status=_status(form))


def _wrong_current_password(request: HttpRequest, user: StaffUser, form: PasswordChangeForm) -> HttpResponse:
    try:
        lockout.record_failure(username=user.get_username(), client_tag=client_tag(request), user=user)
    except AccountLocked as locked:
        return _locked_out(request, locked)
    form.add_error("current_password", _("This is not your current password."))
    return render(request, "accounts/password.html", {"form": form}, status=400)


def _admin(request: HttpRequest) -> StaffUser:
    user = _staff(request)
    if not user.has_role(Role.ADMIN):
        raise PermissionDenied
    return user


def _escrow_error(form: Any, error: AccountError) -> None:
    field, message = _ESCROW_ERRORS.get(type(error), (None, gettext_lazy("This was refused.")))
    form.add_error(field, message)


@require_http_methods(["GET", "POST"])
@staff_required
def restore_access(request: HttpRequest, private_key: bytes | None) -> HttpResponse:
    """An admin gives a staff member who lost their password a new one, and their reports back."""
    admin = _admin(request)
    form = RestoreAccessForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.restore_access(
                user=form.cleaned_data["user"],
                new_password=form.cleaned_data["new_password"],
                reason=form.cleaned_data["reason"],
                reset_two_factor=form.cleaned_data["reset_two_factor"],
                by=admin,
                admin_private_key=private_key or b"",
            )
        except AccountError as error:
            _escrow_error(form, error)
        except ValidationError as error:
            form.add_error("new_password", error)
        else:
            flash.success(
                request,
                _("Access restored for %(name)s. Give them the temporary password in person; they must change it.")
                % {"name": form.cleaned_data["user"].get_username()},
            )
            return redirect("accounts:restore_access")
    return render(request, "accounts/restore_access.html", {"form": form}, status=_status(form))


@require_http_methods(["GET", "POST"])
@staff_required
def grant_escrow(request: HttpRequest, private_key: bytes | None) -> HttpResponse:
    """An admin shares the escrow key with another admin (or makes someone an admin with it)."""
    admin = _admin(request)
    form = GrantEscrowForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.grant_escrow(
                to=form.cleaned_data["user"],
                by=admin,
                admin_private_key=private_key or b"",
                make_admin=form.cleaned_data["make_admin"],
            )
        except AccountError as error:
            _escrow_error(form, error)
        else:
            done = (
                _("%(name)s is now an administrator and holds the escrow key.")
                if form.cleaned_data["make_admin"]
                else _("%(name)s now holds the escrow key.")
            )
            flash.success(request, done % {"name": form.cleaned_data["user"].get_username()})
            return redirect("accounts:grant_escrow")
    return render(request, "accounts/grant_escrow.html", {"form": form}, status=_status(form))


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    session_vault.close_vault(request)
    flash.info(request, _("You are logged out."))
    return redirect("accounts:login")
