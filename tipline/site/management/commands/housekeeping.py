from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tipline.intake import services as intake
from tipline.register import services


class Command(BaseCommand):
    help = (
        "Delete held files nobody decided on, blobs left without a row by a crash, uploads a killed "
        "process left in the memory-backed folder, expired sessions, form-page digests past their use "
        "and the kept files of refused web-form sends whose retry never came."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        kept = intake.purge_stale_kept()  # first: their blobs are then orphans for the sweep
        done = services.tidy_up()
        self.stdout.write(
            f"Deleted {done.held_files} undecided held files, {done.orphan_blobs} orphan blobs, "
            f"{done.left_behind} uploads left behind, {done.sessions} expired sessions, "
            f"{done.form_digests} form-page digests and {kept} kept files of refused sends."
        )
