from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tipline.accounts import two_factor
from tipline.accounts.models import StaffUser


class Command(BaseCommand):
    help = (
        "Remove a staff member's authenticator and recovery codes so they set up new ones at the next log-in "
        "(the last resort when no administrator can log in). Audited."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="why, for the audit trail")

    def handle(self, *args: Any, **options: Any) -> None:
        user = StaffUser.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"no staff member called {options['username']!r}")
        if not options["reason"].strip():
            raise CommandError("give a reason")
        two_factor.reset_two_factor(user=user, by=None, reason=options["reason"].strip())
        self.stdout.write(self.style.SUCCESS(f"{user.username} sets up two-factor log-in again at the next log-in."))
