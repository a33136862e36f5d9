from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditEntry(models.Model):
    """One link of the append-only, hash-chained audit log.

    ``entry_hash`` covers every other field and ``prev_hash``; ``seq`` is
    unique, so two writers can never fork the chain.
    """

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    actor_name = models.CharField(max_length=150)
    action = models.CharField(max_length=64, db_index=True)
    # The report's reference, not a foreign key: the trail outlives a purged report.
    report_ref = models.CharField(max_length=32, blank=True, db_index=True)
    detail = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)
    # HMAC of entry_hash under TIPLINE_AUDIT_KEY, kept outside the database: whoever can
    # write to the database can rebuild the plain chain, not these.
    entry_mac = models.CharField(max_length=64, blank=True, default="", db_default="")

    class Meta:
        ordering = ["seq"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_name}"
