from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tipline.intake.models import Report


class Message(models.Model):
    """A message between the reporter and staff, encrypted with the report key."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="messages")
    from_staff = models.BooleanField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body_ct = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    read_by_reporter = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"message {self.pk} on {self.report}"


# The outcomes Tipline starts with (migration 0003), by code: while an admin keeps the name
# they were given, they are shown in the reader's language.
BUILT_IN_OUTCOME_NAMES = {
    "substantiated": ("Substantiated", _("Substantiated")),
    "unsubstantiated": ("Unsubstantiated", _("Unsubstantiated")),
    "out_of_scope": ("Out of scope", _("Out of scope")),
    "referred": ("Referred to another authority", _("Referred to another authority")),
    "malicious": ("Malicious report", _("Malicious report")),
}


class Outcome(models.Model):
    """How a closed report ended. The list is configurable; 'malicious' protects people reported on."""

    code = models.SlugField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=300, blank=True)
    is_active = models.BooleanField(_("offered"), default=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        """The name, translated for a built-in outcome whose name was not changed."""
        english, translated = BUILT_IN_OUTCOME_NAMES.get(self.code, ("", ""))
        return str(translated) if english and self.name == english else self.name


class Label(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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


class ReportLink(models.Model):
    class Kind(models.TextChoices):
        RELATED = "related", _("Related")
        DUPLICATE = "duplicate", _("Duplicate of")
        # Made by Tipline: the same form page sent more than once (a double click without
        # JavaScript); every later copy points at the first.
        SENT_TWICE = "sent_twice", _("Sent from the same form page as")

    source = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="unique_report_link"),
            models.CheckConstraint(condition=~models.Q(source=models.F("target")), name="no_self_link"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.target}"


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


class DisclosureRequest(models.Model):
    """A handler's written request to see the reporter's sealed identity (art. 16)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for a supervisor")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="disclosure_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The reason is shown to the reporter when approved, so it is encrypted with the report key.
    reason_ct = models.BinaryField()
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
                fields=["report", "requested_by"], condition=models.Q(state="pending"), name="one_pending_disclosure"
            )
        ]

    def __str__(self) -> str:
        return f"disclosure of {self.report} to {self.requested_by}"


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
