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


class ReportSeen(models.Model):
    """When a staff member last opened a report. What arrived before is read for them;
    a reporter's message after it is unread. A report without any row was never opened
    by a person (still new, even if it was acknowledged automatically)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="seen_by")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "report"], name="unique_report_seen")]

    def __str__(self) -> str:
        return f"{self.report} seen by {self.user}"


class AlertPreference(models.Model):
    """How one staff member hears that something waits in the console. Alerts carry no
    content and no reference: counts at most, and a link to the log-in page."""

    class Mode(models.TextChoices):
        DIGEST = "digest", _("A digest at fixed times")
        IMMEDIATE = "immediate", _("At once, when something new arrives")
        NONE = "none", _("No alert e-mails")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_preference")
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.DIGEST)
    # The counts the last immediate alert was computed from ("new,replies,due,held"): an
    # immediate alert goes out when one of them has grown since.
    last_counts = models.CharField(max_length=80, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"alerts of {self.user}: {self.mode}"
