"""Hourly tidying of what only waits to be deleted (``tipline worker`` and ``tipline housekeeping``)."""

from __future__ import annotations

from dataclasses import dataclass

from tipline import session_vault
from tipline.limits import services as limits
from tipline.register import uploads
from tipline.register.services.files import purge_stale_held, sweep_orphan_blobs
from tipline.register.services.submission import forget_form_digests


@dataclass(frozen=True)
class Tidied:
    held_files: int
    orphan_blobs: int
    left_behind: int
    sessions: int
    form_digests: int
    allowances: int


def tidy_up() -> Tidied:
    """Delete held files nobody decided on, blobs a crash left without a row, uploads and
    cleaning folders a killed process left in the memory-backed folder, expired sessions,
    the form-page digests past their use and the counts of rate-limit windows that ended.
    Each step deletes only what is already stale, so
    running it twice, or in two processes at once, is harmless."""
    return Tidied(
        held_files=purge_stale_held(),
        orphan_blobs=sweep_orphan_blobs(),
        left_behind=uploads.sweep_left_behind(),
        sessions=session_vault.forget_expired_sessions(),
        form_digests=forget_form_digests(),
        allowances=limits.forget_ended(),
    )
