from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from tipline.accounts import services as accounts
from tipline.accounts.models import Organisation, Role
from tipline.register import services as register
from tipline.register.models import Channel, FieldType, Question

DEMO_QUESTIONS = [
    (
        "what",
        FieldType.LONG_TEXT,
        "What happened?",
        "Describe what you saw or know: who, what, where. Facts you are sure of first.",
        True,
        20000,
        "",
    ),
    (
        "where",
        FieldType.SHORT_TEXT,
        "Where did it happen?",
        "A place, an office, a department or a project.",
        False,
        300,
        "",
    ),
    ("when", FieldType.DATE, "When did it happen, or start?", "An approximate date is fine.", False, None, ""),
    (
        "kind",
        FieldType.SINGLE_CHOICE,
        "What kind of wrongdoing is it?",
        "",
        True,
        None,
        "Bribery or corruption\nFraud or misuse of public money\nAbuse of office\nConflict of interest\nSomething else",
    ),
    ("ongoing", FieldType.YES_NO, "Is it still going on?", "", False, None, ""),
    (
        "evidence",
        FieldType.MULTIPLE_CHOICE,
        "What evidence exists?",
        "Tick all that apply.",
        False,
        None,
        "Documents\nE-mails or messages\nPhotos or recordings\nWitnesses\nNone that I know of",
    ),
    ("reported_before", FieldType.YES_NO, "Have you reported this elsewhere before?", "", False, None, ""),
    (
        "files",
        FieldType.FILE,
        "Attach files",
        "Documents, photos or recordings that support your report.",
        False,
        None,
        "",
    ),
]


def _password() -> str:
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))


class Command(BaseCommand):
    help = "Seed the demo the first time only: an organisation, a web channel and three staff accounts."

    def handle(self, *args: Any, **options: Any) -> None:
        if Organisation.objects.exists():
            self.stdout.write("Demo data already present; nothing changed.")
            return
        passwords = {"admin": _password(), "supervisor": _password(), "handler": _password()}
        with transaction.atomic():
            _, escrow = accounts.create_organisation(name="Demo Integrity Office")
            accounts.create_staff(
                username="admin",
                password=passwords["admin"],
                roles=[Role.ADMIN],
                display_name="Demo admin",
                escrow_private_key=escrow,
                validate=False,
            )
            accounts.create_staff(
                username="supervisor",
                password=passwords["supervisor"],
                roles=[Role.SUPERVISOR],
                display_name="Demo supervisor",
                validate=False,
            )
            handler = accounts.create_staff(
                username="handler",
                password=passwords["handler"],
                roles=[Role.HANDLER],
                display_name="Demo handler",
                validate=False,
            )
            channel = Channel.objects.create(
                slug="report",
                name="Report wrongdoing",
                description="Tell us about corruption, fraud or abuse of office. You can stay anonymous.",
                privacy_notice="Reports are handled by the integrity office's case team only.",
            )
            channel.recipients.add(handler)
            Question.objects.bulk_create(
                [
                    Question(
                        channel=channel,
                        order=i,
                        key=key,
                        field_type=kind,
                        label=label,
                        help_text=help_text,
                        required=required,
                        max_length=max_length,
                        choices=choices,
                    )
                    for i, (key, kind, label, help_text, required, max_length, choices) in enumerate(DEMO_QUESTIONS)
                ]
            )
            register.publish_questionnaire(channel=channel)
        self.stdout.write(
            self.style.SUCCESS("Demo seeded. Staff log-in at /staff/login/ — these passwords are shown only now:")
        )
        for username, password in passwords.items():
            self.stdout.write(f"  {username:<11} {password}")
