"""Sealed copies of report and identity keys. Only :mod:`tipline.register.keyring` writes them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from tipline.register.models.reports import Report


class ReportKeyGrant(models.Model):
    """The report key sealed to one staff member, or (user null) to the escrow key."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="key_grants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="report_grants"
    )
    sealed_key = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
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

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "user"], name="unique_identity_grant")]

    def __str__(self) -> str:
        return f"identity of {self.report} → {self.user or 'escrow'}"
