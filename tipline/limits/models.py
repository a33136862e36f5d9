from __future__ import annotations

from django.db import models


class Allowance(models.Model):
    """How much of one allowance is used in one window, shared by every process and machine.

    ``digest`` is a BLAKE2b digest of the scope, the bucket of the client's tag (one of
    ``TIPLINE_LIMIT_BUCKETS``, each shared by about a million IPv4 addresses) and the
    window: no address, no tag, nothing that singles out a client is stored. A row is
    deleted once its window has ended.
    """

    digest = models.CharField(max_length=32, unique=True)
    count = models.PositiveIntegerField(default=0)
    window_ends = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.count} until {self.window_ends:%Y-%m-%d %H:%M}"
