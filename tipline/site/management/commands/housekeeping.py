from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tipline.register import services


class Command(BaseCommand):
    help = (
        "Delete held files nobody decided on, blobs left without a row by a crash, uploads a killed "
        "process left in the memory-backed folder, expired sessions and form-page digests past their use."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done = services.tidy_up()
        self.stdout.write(
            f"Deleted {done.held_files} undecided held files, {done.orphan_blobs} orphan blobs, "
            f"{done.left_behind} uploads left behind, {done.sessions} expired sessions "
            f"and {done.form_digests} form-page digests."
        )
