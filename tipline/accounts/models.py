from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from tipline.accounts import factor_secrets
from tipline.crypto.kdf import KdfCost
from tipline.crypto.keys import WrappedKeyPair


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    SUPERVISOR = "supervisor", _("Supervisor")
    HANDLER = "handler", _("Handler")
    CALL_TAKER = "call_taker", _("Call-taker")
    EDITOR = "editor", _("Editor")
    REWARD_OFFICER = "reward_officer", _("Reward officer")


# Roles that can hold report keys, and therefore own a key pair.
CONTENT_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.HANDLER, Role.CALL_TAKER, Role.REWARD_OFFICER})
# Roles that read report content in the console. A key grant alone opens nothing: whoever
# holds none of these roles now is refused content, and loses their report keys when their
# roles are changed (admins read only through the escrow key).
CASE_ROLES = frozenset({Role.HANDLER, Role.SUPERVISOR})


class StaffUser(AbstractUser):
    """A member of staff. Reporters never have accounts."""

    display_name = models.CharField(_("display name"), max_length=120, blank=True)
    # Set when an admin restores access with a temporary password; cleared by a password change.
    password_must_change = models.BooleanField(_("must choose a new password"), default=False)

    def has_role(self, role: Role) -> bool:
        return self.role_grants.filter(role=role).exists()

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(self.role_grants.values_list("role", flat=True))

    def __str__(self) -> str:
        return self.display_name or self.username


class RoleGrant(models.Model):
    user = models.ForeignKey(StaffUser, on_delete=models.CASCADE, related_name="role_grants")
    role = models.CharField(max_length=20, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="unique_role_per_user")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class StaffKey(models.Model):
    """A staff member's X25519 key pair; the private half wrapped by Argon2id(password)."""

    user = models.OneToOneField(StaffUser, on_delete=models.CASCADE, related_name="key")
    public_key = models.BinaryField(max_length=32)
    wrapped_private_key = models.BinaryField()
    salt = models.BinaryField(max_length=16)
    kdf_ops = models.PositiveIntegerField()
    kdf_mem = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"key of {self.user}"

    def as_wrapped(self) -> WrappedKeyPair:
        return WrappedKeyPair(
            public_key=bytes(self.public_key),
            wrapped_private_key=bytes(self.wrapped_private_key),
            salt=bytes(self.salt),
            cost=KdfCost(ops=self.kdf_ops, mem=self.kdf_mem),
        )


class Organisation(models.Model):
    """The one organisation an instance serves, with its escrow public key."""

    name = models.CharField(_("name"), max_length=200)
    escrow_public_key = models.BinaryField(max_length=32)
    # Instance-wide salt of the receipt derivation (not secret; the pepper is).
    receipt_salt = models.BinaryField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="single_organisation")]

    def __str__(self) -> str:
        return self.name


class EscrowGrant(models.Model):
    """The escrow private key sealed to one admin's public key."""

    user = models.OneToOneField(StaffUser, on_delete=models.CASCADE, related_name="escrow_grant")
    sealed_escrow_key = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"escrow for {self.user}"


class LoginThrottle(models.Model):
    """Consecutive failed log-in steps (passwords or codes) for one username.

    Kept per username, never per address (no addresses are kept). Names that
    match no account are throttled exactly like real ones, so a lock-out says
    nothing about whether an account exists. The row is keyed by an HMAC of the
    name, so a password typed into the username box by mistake is never stored.
    """

    key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(StaffUser, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("log-in lock")
        verbose_name_plural = _("log-in locks")

    def __str__(self) -> str:
        return f"log-in failures of {self.user or 'an unknown name'}"


class SealedTOTPDevice(TOTPDevice):  # type: ignore[misc]  # django-otp is untyped
    """django-otp's authenticator whose secret is sealed in its ``key`` column
    (:mod:`tipline.accounts.factor_secrets`): the database never holds it in clear."""

    class Meta:
        proxy = True

    @property
    def bin_key(self) -> bytes:
        return factor_secrets.open_totp_secret(user_id=self.user_id, sealed=self.key)
