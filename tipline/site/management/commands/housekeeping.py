from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tipline import session_vault
from tipline.register import services


class Command(BaseCommand):
    help = (
        "Delete held files nobody decided on, blobs left without a row by a crash, expired sessions "
        "and form-page digests past their use."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        held = services.purge_stale_held()
        orphans = services.sweep_orphan_blobs()
        sessions = session_vault.forget_expired_sessions()
        digests = services.forget_form_digests()
        self.stdout.write(
            f"Deleted {held} undecided held files, {orphans} orphan blobs, {sessions} expired sessions "
            f"and {digests} form-page digests."
        )
