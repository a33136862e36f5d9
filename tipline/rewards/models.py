"""Rewards, commendations: the records. Payment details and aliases are never stored in clear."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tipline.crypto import boxes
from tipline.register.models import Channel, Outcome, Report


class PayoutMethod(models.TextChoices):
    BANK = "bank", _("Bank transfer")
    CASH = "cash", _("Cash collection")
    DONATION = "donation", _("Donation to a cause")
    DECLINE = "decline", _("I decline the reward")


class RewardPolicy(models.Model):
    """What a channel may award: amounts, currency, yearly budget, eligibility, payout methods."""

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="reward_policy")
    currency = models.CharField(_("currency (ISO 4217)"), max_length=3, default="EUR")
    min_amount = models.PositiveIntegerField(_("smallest award"), default=100)
    max_amount = models.PositiveIntegerField(_("largest award"), default=10000)
    yearly_budget = models.PositiveIntegerField(_("budget per calendar year"), default=50000)
    second_approval_above = models.PositiveIntegerField(
        _("two approvers above"), default=5000, help_text=_("Awards above this amount need two approvers.")
    )
    claim_days = models.PositiveIntegerField(_("days to claim"), default=180)
    eligible_outcomes = models.ManyToManyField(
        Outcome, blank=True, related_name="+", verbose_name=_("outcomes that allow an award")
    )
    allow_bank = models.BooleanField(_("bank transfer"), default=True)
    allow_cash = models.BooleanField(_("cash collection"), default=True)
    allow_donation = models.BooleanField(_("donation"), default=True)
    causes = models.TextField(_("causes for donations"), blank=True, help_text=_("One per line."))
    is_active = models.BooleanField(_("rewards offered"), default=True)

    class Meta:
        verbose_name = _("reward policy")
        verbose_name_plural = _("reward policies")
        constraints = [
            models.CheckConstraint(condition=models.Q(min_amount__lte=models.F("max_amount")), name="reward_range"),
            models.CheckConstraint(condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="reward_currency"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} · {self.currency}"

    def cause_list(self) -> list[str]:
        return [line.strip() for line in self.causes.splitlines() if line.strip()]

    def methods(self) -> list[str]:
        allowed = {
            PayoutMethod.BANK: self.allow_bank,
            PayoutMethod.CASH: self.allow_cash,
            PayoutMethod.DONATION: self.allow_donation and bool(self.cause_list()),
            PayoutMethod.DECLINE: True,
        }
        return [method for method, on in allowed.items() if on]


class RewardQuerySet(models.QuerySet["Reward"]):
    def committed(self) -> RewardQuerySet:
        """Awards that use budget: proposed, approved, claimed or paid (not refused, declined, expired)."""
        live = self.filter(state__in=[Reward.State.PROPOSED, Reward.State.CLAIMED, Reward.State.PAID])
        approved = self.filter(state=Reward.State.APPROVED, expires_at__gt=timezone.now())
        return live | approved


class Reward(models.Model):
    """An award on one report, from proposal to payment."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("Proposed, waiting for approval")
        APPROVED = "approved", _("Approved, waiting for the reporter's claim")
        REFUSED = "refused", _("Refused")
        CLAIMED = "claimed", _("Claimed, waiting for payment")
        PAID = "paid", _("Paid")
        DECLINED = "declined", _("Declined by the reporter")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="rewards")
    policy = models.ForeignKey(RewardPolicy, on_delete=models.PROTECT, related_name="rewards")
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    budget_year = models.PositiveIntegerField()
    # Written by staff for staff (the form says to keep report details and names out of it),
    # and kept encrypted all the same under a key from TIPLINE_REWARDS_KEY: see ``reason``.
    reason_ct = models.BinaryField(default=b"")
    outcome = models.ForeignKey(Outcome, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PROPOSED)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    refused_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refusal_reason_ct = models.BinaryField(default=b"")
    expires_at = models.DateTimeField(null=True, blank=True)
    # The reporter's claim.
    method = models.CharField(max_length=10, choices=PayoutMethod.choices, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    cause = models.CharField(max_length=200, blank=True, default="")
    # Bank details: encrypted under a random key sealed to each reward officer (RewardSeal);
    # destroyed when the payment is recorded.
    bank_ct = models.BinaryField(null=True, blank=True)
    # Cash collection: keyed digest of the one-time claim code; Argon2id hash of the PIN.
    claim_code_digest = models.CharField(max_length=64, null=True, blank=True, unique=True)
    pin_hash = models.CharField(max_length=200, blank=True, default="")
    # The payment.
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment_reference = models.CharField(max_length=100, blank=True, default="")
    payment_date = models.DateField(null=True, blank=True)

    objects = RewardQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="reward_positive"),
            # One live award per report: a second needs the first refused or declined.
            models.UniqueConstraint(
                fields=["report"],
                condition=~models.Q(state__in=["refused", "declined"]),
                name="one_live_reward_per_report",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="paid") | models.Q(paid_at__isnull=False, bank_ct__isnull=True),
                name="paid_reward_keeps_no_bank_details",
            ),
        ]

    def __str__(self) -> str:
        return f"reward {self.pk} on {self.report}"

    @property
    def is_expired(self) -> bool:
        return self.state == self.State.APPROVED and self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def display_state(self) -> str:
        return str(_("Expired, not claimed in time")) if self.is_expired else self.get_state_display()

    @property
    def reason(self) -> str:
        return open_reason(bytes(self.reason_ct), field=b"reason")

    @property
    def refusal_reason(self) -> str:
        return open_reason(bytes(self.refusal_reason_ct), field=b"refusal")


def _reason_key() -> bytes:
    return boxes.derive_key(settings.TIPLINE_REWARDS_KEY[:64], purpose=b"reward reason", subject=b"")


def seal_reason(text: str, *, field: bytes) -> bytes:
    """A reason staff wrote, encrypted at rest (``b""`` for none); ``field`` binds it to its column."""
    text = text.strip()
    return boxes.encrypt(_reason_key(), text.encode(), context=b"reward " + field) if text else b""


def open_reason(ciphertext: bytes, *, field: bytes) -> str:
    return boxes.decrypt(_reason_key(), ciphertext, context=b"reward " + field).decode() if ciphertext else ""


class RewardApproval(models.Model):
    reward = models.ForeignKey(Reward, on_delete=models.CASCADE, related_name="approvals")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["reward", "by"], name="one_approval_per_person")]

    def __str__(self) -> str:
        return f"approval of {self.reward} by {self.by}"


class RewardSeal(models.Model):
    """The key of one award's bank details, sealed to one reward officer's public key."""

    reward = models.ForeignKey(Reward, on_delete=models.CASCADE, related_name="seals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sealed_key = models.BinaryField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["reward", "user"], name="one_seal_per_officer")]

    def __str__(self) -> str:
        return f"seal of {self.reward} for {self.user}"


class Commendation(models.Model):
    """A commendation offered to a reporter; issued only once they consent in the portal."""

    class State(models.TextChoices):
        OFFERED = "offered", _("Offered, waiting for the reporter")
        ISSUED = "issued", _("Issued")
        DECLINED = "declined", _("Declined by the reporter")

    report = models.OneToOneField(Report, on_delete=models.CASCADE, related_name="commendation")
    state = models.CharField(max_length=10, choices=State.choices, default=State.OFFERED)
    offered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    offered_at = models.DateTimeField(default=timezone.now)
    issued_at = models.DateTimeField(null=True, blank=True)
    # Keyed digest of the verification code (128 bits); the code itself is kept only under the
    # report key (so the reporter can download the certificate again).
    code_digest = models.CharField(max_length=64, null=True, blank=True, unique=True)
    code_ct = models.BinaryField(null=True, blank=True)
    # The alias, if the reporter gave one: under a key derived from the code (the public page
    # opens it only for someone holding the code) ...
    alias_ct = models.BinaryField(null=True, blank=True)
    # ... and, if they also chose the roll of honour, under a key from the server's secret.
    honour_alias_ct = models.BinaryField(null=True, blank=True)
    on_roll_of_honour = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"commendation on {self.report}"


class ReporterCode(models.Model):
    """A cash claim code under the report key, so the reporter can read it again in the portal."""

    reward = models.OneToOneField(Reward, on_delete=models.CASCADE, related_name="reporter_code")
    code_ct = models.BinaryField()

    def __str__(self) -> str:
        return f"claim code of {self.reward}"
