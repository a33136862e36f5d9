from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tipline.audit.exceptions import AuditChainBroken
from tipline.audit.services import verify_chain


class Command(BaseCommand):
    help = "Audit trail tools. 'tipline audit verify' checks every link of the hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            count = verify_chain()
        except AuditChainBroken as broken:
            raise CommandError(str(broken)) from None
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {count} entries."))
