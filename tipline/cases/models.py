"""What only case handling keeps about a report: internal notes, exclusions and sent reminders."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tipline.register.models import Report


class Note(models.Model):
    """An internal note, encrypted with the report key; never shown to the reporter."""

    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        CLOSING = "closing", _("Reason for closing")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.NOTE)
    body_ct = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note {self.pk} on {self.report}"


class Exclusion(models.Model):
    """A staff member kept away from a report (conflict of interest)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="exclusions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exclusions")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "user"], name="unique_exclusion")]

    def __str__(self) -> str:
        return f"{self.user} excluded from {self.report}"


class ExclusionRequest(models.Model):
    """Excluding a supervisor or an administrator from a report takes a second supervisor's
    approval: one supervisor alone could otherwise shut every other out, keys and all."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for a second supervisor")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="exclusion_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "user"], condition=models.Q(state="pending"), name="one_pending_exclusion"
            )
        ]

    def __str__(self) -> str:
        return f"exclusion of {self.user} from {self.report}"


class Reminder(models.Model):
    """A deadline reminder that was sent; unique so no reminder goes out twice."""

    class Level(models.TextChoices):
        DUE_SOON = "due_soon", _("Due soon, to the assignee")
        OVERDUE = "overdue", _("Overdue, to the supervisors")
        PURGE = "purge", _("Purge ahead, to the supervisors")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="reminders")
    due_at = models.DateTimeField()
    level = models.CharField(max_length=10, choices=Level.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "due_at", "level"], name="unique_reminder")]

    def __str__(self) -> str:
        return f"{self.level} reminder for {self.report}"
