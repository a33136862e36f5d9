"""Sealed copies of report and identity keys. Only :mod:`tipline.register.keyring` writes them."""

from __future__ import annotations

from enum import IntFlag

from django.conf import settings
from django.db import models

from tipline.register.models.reports import Report


class GrantReason(IntFlag):
    """Why a sealed copy of a key exists. A copy can have several reasons; it is destroyed
    when the last one goes (a supervisor demoted to handler keeps the reports they were
    assigned or receive as a channel recipient, and no other)."""

    ESCROW = 1  # the organisation's escrow key (user null)
    RECIPIENT = 2  # a recipient of the report's channel, when it arrived
    SUPERVISOR = 4  # every supervisor holds every report's key (and every identity key)
    ASSIGNMENT = 8  # a supervisor assigned the report to this person
    DISCLOSURE = 16  # identity keys only: a supervisor approved a written request


class ReportKeyGrant(models.Model):
    """The report key sealed to one staff member, or (user null) to the escrow key."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="key_grants")
    # Indexed with the report in ``grant_user_report`` below.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="report_grants", db_index=False
    )
    sealed_key = models.BinaryField()
    reasons = models.PositiveSmallIntegerField(default=0, db_default=0)  # GrantReason flags
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # The reports one person holds keys to, from the index alone: the queue's counts
            # for a handler join these with the reports matching a filter.
            models.Index(fields=["user", "report"], name="grant_user_report"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["report", "user"], name="unique_report_grant"),
            models.UniqueConstraint(
                fields=["report"], condition=models.Q(user__isnull=True), name="unique_escrow_grant"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} → {self.user or 'escrow'}"


class IdentityKeyGrant(models.Model):
    """The identity key sealed to a supervisor (or, once disclosure is approved, a handler)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="identity_grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+")
    sealed_key = models.BinaryField()
    reasons = models.PositiveSmallIntegerField(default=0, db_default=0)  # GrantReason flags

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "user"], name="unique_identity_grant")]

    def __str__(self) -> str:
        return f"identity of {self.report} → {self.user or 'escrow'}"
