from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tipline.audit.exceptions import AuditChainBroken
from tipline.audit.services import chain_head, verify_chain


class Command(BaseCommand):
    help = (
        "Audit trail tools. 'tipline audit verify' checks every link of the hash chain and names the "
        "first broken one; 'tipline audit head' prints the latest entry's number and hash, to be kept "
        "outside the database (a printed record, a ticket, a notary) and given back later with "
        "'verify --anchor SEQ:HASH', which also detects entries deleted from the end."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify", "head"])
        parser.add_argument(
            "--anchor",
            action="append",
            default=[],
            metavar="SEQ:HASH",
            help="an earlier 'head' output that must still be in the chain",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "head":
            head = chain_head()
            self.stdout.write(f"{head[0]}:{head[1]}" if head else "0:empty")
            return
        anchors = [self._parse(text) for text in options["anchor"]]
        try:
            count = verify_chain(anchors=anchors)
        except AuditChainBroken as broken:
            raise CommandError(str(broken)) from None
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {count} entries."))

    @staticmethod
    def _parse(text: str) -> tuple[int, str]:
        seq, _, digest = text.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise CommandError(f"an anchor looks like 1234:<64 hex digits>, not {text!r}")
        return int(seq), digest.lower()
