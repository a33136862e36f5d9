from __future__ import annotations

from django.conf import settings
from django.db import models

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
