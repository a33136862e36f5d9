"""What the web form keeps between two sends of one form page."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class KeptUpload(models.Model):
    """A file of a send that was refused (a missing answer), kept for the retry so the
    reporter need not choose it again. It was cleaned like any upload and encrypted under
    a random key that lives only in the reporter's session vault (itself encrypted under a
    key in their cookie), and it belongs to one form page: a keyed digest of the page's
    random token. Attached on the successful send; deleted after
    ``TIPLINE_KEPT_UPLOAD_HOURS`` when the send never comes."""

    form_digest = models.CharField(max_length=32, db_index=True)
    # The key of the file question it answers (the questionnaire's structure, not content).
    question = models.CharField(max_length=64)
    blob = models.CharField(max_length=80, unique=True)
    # Name, size and whether it was cleaned, under the kept key, bound to the blob.
    meta_ct = models.BinaryField()
    size = models.PositiveBigIntegerField()
    # Could not be cleaned: once sent, it waits for the reporter's decision like any held file.
    held = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"kept upload {self.pk}"
