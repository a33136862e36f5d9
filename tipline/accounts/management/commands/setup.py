from __future__ import annotations

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from tipline.accounts import services
from tipline.accounts.models import Organisation, Role


class Command(BaseCommand):
    help = "First set-up of a real instance: the organisation, its escrow key and the first admin."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--organisation", required=True)
        parser.add_argument("--admin", required=True, help="username of the first admin")
        parser.add_argument("--email", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        if Organisation.objects.exists():
            raise CommandError("this instance is already set up")
        password = getpass.getpass("Password for the first admin: ")
        try:
            with transaction.atomic():
                _, escrow = services.create_organisation(name=options["organisation"])
                services.create_staff(
                    username=options["admin"],
                    password=password,
                    roles=[Role.ADMIN, Role.SUPERVISOR],
                    email=options["email"],
                    escrow_private_key=escrow,
                )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(self.style.SUCCESS("Organisation and first admin created."))
