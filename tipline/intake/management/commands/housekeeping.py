from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tipline.intake import services


class Command(BaseCommand):
    help = "Delete held files nobody decided on, and blobs left without a row by a crash."

    def handle(self, *args: Any, **options: Any) -> None:
        held = services.purge_stale_held()
        orphans = services.sweep_orphan_blobs()
        self.stdout.write(f"Deleted {held} undecided held files and {orphans} orphan blobs.")
