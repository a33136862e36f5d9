from __future__ import annotations

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tipline.accounts import services
from tipline.accounts.exceptions import AccountError
from tipline.accounts.models import Role, StaffUser


class Command(BaseCommand):
    help = (
        "Create a staff member with one or more roles (an admin also needs an existing admin to share the escrow key)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", action="append", choices=[r.value for r in Role], required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--name", default="")
        parser.add_argument("--escrow-admin", help="an existing admin whose password unlocks the escrow key")

    def handle(self, *args: Any, **options: Any) -> None:
        password = getpass.getpass("Password for the new account: ")
        escrow_key = None
        if Role.ADMIN in options["role"]:
            escrow_key = self._escrow_key(options.get("escrow_admin"))
        try:
            user = services.create_staff(
                username=options["username"],
                password=password,
                roles=[Role(r) for r in options["role"]],
                email=options["email"],
                display_name=options["name"],
                escrow_private_key=escrow_key,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(self.style.SUCCESS(f"Created {user.username} ({', '.join(sorted(user.roles))})."))

    def _escrow_key(self, admin_name: str | None) -> bytes:
        if not admin_name:
            raise CommandError("a new admin needs --escrow-admin NAME: an existing admin who shares the escrow key")
        admin = StaffUser.objects.filter(username=admin_name).first()
        if admin is None:
            raise CommandError(f"no staff member called {admin_name!r}")
        try:
            private = services.unlock_private_key(user=admin, password=getpass.getpass(f"Password of {admin_name}: "))
            return services.escrow_private_key(admin=admin, admin_private_key=private)
        except AccountError:
            raise CommandError("could not unlock the escrow key with that password") from None
