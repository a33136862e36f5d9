"""What the call-taker's screen keeps between two requests: a claim on what it is storing."""

from __future__ import annotations

from django.db import models


class Claim(models.Model):
    """A claim on one thing being stored from the call-taker's screen, so that it is stored once.

    ``digest`` is a keyed digest (never the secret it is made from) of either a staff
    session, while that session stores a report and until its receipt has been shown (one
    receipt waits at a time, whatever the tabs and clicks), or of the random token of the
    page a caller's message was added from (a page adds its message once). ``receipt_ct``
    is the receipt, encrypted under the key held only in the call-taker's cookie (see
    ``session_vault``), from the commit of its report until its page shows it.
    """

    digest = models.CharField(max_length=64, unique=True)
    claimed_at = models.DateTimeField(db_index=True)
    receipt_ct = models.BinaryField(null=True)
    # A report's claim: a keyed digest of the token of the page it was sent from (the same
    # page sent again is the same report: it is shown its receipt rather than refused).
    page = models.CharField(max_length=64, blank=True)
    kind = models.CharField(max_length=16, blank=True)  # the channel's kind: a letter's receipt is posted
    notes = models.CharField(max_length=16, blank=True)  # see views._notes_taken

    def __str__(self) -> str:
        return f"claim of {self.claimed_at:%Y-%m-%d %H:%M}"
