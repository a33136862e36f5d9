# ruff: noqa: RUF001 - the journeys' Chinese texts: full-width punctuation
"""Seed a fresh Tipline database for the journeys; run as ``python -m e2e.seed`` in the server's environment.

Reads ``{"password": ..., "channel_description": ..., "authenticator_keys": {username: hex}}``
as JSON on stdin. The constants below are what the page objects and tests look for on the pages.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tipline.register.models import Channel

ORGANISATION_NAME = "End-to-End Integrity Office"
CHANNEL_SLUG = "wrongdoing"
CHANNEL_NAME = "Report wrongdoing"
HANDLER = "handler"
SUPERVISOR = "supervisor"
ADMIN = "admin"
# A handler who receives no channel: only a supervisor's assignment gives them a report.
CASEWORKER = "caseworker"

# A second form that no handler receives, so its reports reach only the supervisors (and,
# once assigned, the caseworker) and stay out of the other journeys' queues.
SAFETY_CHANNEL_SLUG = "safety"
SAFETY_CHANNEL_NAME = "Report a danger to health or safety"
SAFETY_CHANNEL_DESCRIPTION = "Unsafe buildings, food, medicines or workplaces."
SAFETY_ACKNOWLEDGEMENT = "We received your report about a danger to health or safety; a caseworker is looking into it."
# A form only the accessibility check sends to (its reports reach supervisors only), so the
# queues the journeys count never hold them.
A11Y_CHANNEL_SLUG, A11Y_CHANNEL_NAME = "accessibility", "Report anything else"

WHAT_LABEL = "What happened?"
WHERE_LABEL = "Where did it happen?"
KIND_LABEL = "What kind of wrongdoing is it?"
KIND_CHOICES = ("Bribery or corruption", "Fraud or misuse of public money")
FILES_LABEL = "Attach files"
WHAT_HELP = "Who, what, where: the facts you are sure of first."

# The main form in Simplified Chinese. The label of "where" and the channel's description
# are left untranslated: a Chinese reader sees them in English, marked lang="en".
CHANNEL_NAME_ZH = "举报违法违规行为"
PRIVACY_NOTICE = "Only the integrity office's case team reads reports."
PRIVACY_NOTICE_ZH = "举报只由廉政办公室的案件组阅读。"
WHAT_LABEL_ZH = "发生了什么？"
WHAT_HELP_ZH = "谁、做了什么、在哪里：先写您确定的事实。"
KIND_LABEL_ZH = "这属于哪一类违法违规行为？"
KIND_CHOICES_ZH = ("贿赂或腐败", "欺诈或挪用公款")
FILES_LABEL_ZH = "附加文件"


# Reports taken by phone or post: a call-taker enters them; a handler of their own receives
# them, so they stay out of the other journeys' queues.
CALL_TAKER = "calltaker"
PHONE_HANDLER = "phonehandler"
PHONE_CHANNEL_SLUG, PHONE_CHANNEL_NAME = "phone", "Report by phone"
POST_CHANNEL_SLUG, POST_CHANNEL_NAME = "post", "Report by post"

# Rewards: a channel of its own with a reward policy, its handler, and a reward officer.
REWARD_CHANNEL_SLUG, REWARD_CHANNEL_NAME = "rewarded", "Report fraud for a reward"
REWARD_HANDLER = "rewardhandler"
REWARD_OFFICER = "rewardofficer"
REWARD_CAUSE = "Children's hospital"

STAFF = (ADMIN, SUPERVISOR, HANDLER, CASEWORKER, CALL_TAKER, PHONE_HANDLER, REWARD_HANDLER, REWARD_OFFICER)


def give_authenticators(keys: dict[str, str]) -> None:
    """A confirmed authenticator app with a known secret for each staff member, when the site
    asks for a second step at log-in (django-otp installed)."""
    from django.apps import apps

    if not apps.is_installed("django_otp.plugins.otp_totp"):
        return
    from tipline.accounts.models import StaffUser
    from tipline.accounts.testing import give_authenticator

    for username, key_hex in keys.items():
        user = StaffUser.objects.get(username=username)
        give_authenticator(user, key_hex=key_hex)


def add_published_questionnaire(channel: Channel, *, chinese: bool = False) -> None:
    """The questions the page objects look for, published as the channel's questionnaire
    (with ``chinese``, in Simplified Chinese too, but for the label of "where")."""
    from tipline.register import services as register
    from tipline.register.models import FieldType, Question

    questions = [
        ("what", FieldType.LONG_TEXT, WHAT_LABEL, True, 5000, ""),
        ("where", FieldType.SHORT_TEXT, WHERE_LABEL, False, 300, ""),
        ("kind", FieldType.SINGLE_CHOICE, KIND_LABEL, True, None, "\n".join(KIND_CHOICES)),
        ("evidence", FieldType.FILE, FILES_LABEL, False, None, ""),
    ]
    chinese_texts = {
        "what": {"label": WHAT_LABEL_ZH, "help_text": WHAT_HELP_ZH},
        "kind": {"label": KIND_LABEL_ZH, "choices": "\n".join(KIND_CHOICES_ZH)},
        "evidence": {"label": FILES_LABEL_ZH},
    }
    Question.objects.bulk_create(
        Question(
            channel=channel,
            order=order,
            key=key,
            field_type=kind,
            label=label,
            help_text=WHAT_HELP if key == "what" else "",
            required=required,
            max_length=max_length,
            choices=choices,
            translations={"zh-hans": chinese_texts[key]} if chinese and key in chinese_texts else {},
        )
        for order, (key, kind, label, required, max_length, choices) in enumerate(questions)
    )
    register.publish_questionnaire(channel=channel)


def seed(*, password: str, channel_description: str, authenticator_keys: dict[str, str]) -> None:
    """An organisation, an admin, a supervisor, a handler who receives the web channel, and a
    caseworker (handler) who receives nothing: the safety channel goes to supervisors only."""
    from django.db import transaction

    from tipline.accounts import services as accounts
    from tipline.accounts.models import Role
    from tipline.register.models import Channel, ChannelKind

    with transaction.atomic():
        _, escrow = accounts.create_organisation(name=ORGANISATION_NAME)
        accounts.create_staff(
            username=ADMIN, password=password, roles=[Role.ADMIN], escrow_private_key=escrow, validate=False
        )
        accounts.create_staff(username=SUPERVISOR, password=password, roles=[Role.SUPERVISOR], validate=False)
        handler = accounts.create_staff(username=HANDLER, password=password, roles=[Role.HANDLER], validate=False)
        accounts.create_staff(username=CASEWORKER, password=password, roles=[Role.HANDLER], validate=False)
        channel = Channel.objects.create(
            slug=CHANNEL_SLUG,
            name=CHANNEL_NAME,
            description=channel_description,
            privacy_notice=PRIVACY_NOTICE,
            translations={"zh-hans": {"name": CHANNEL_NAME_ZH, "privacy_notice": PRIVACY_NOTICE_ZH}},
        )
        channel.recipients.add(handler)
        add_published_questionnaire(channel, chinese=True)
        safety = Channel.objects.create(
            slug=SAFETY_CHANNEL_SLUG,
            name=SAFETY_CHANNEL_NAME,
            description=SAFETY_CHANNEL_DESCRIPTION,
            acknowledgement_text=SAFETY_ACKNOWLEDGEMENT,
            order=1,
        )
        add_published_questionnaire(safety)
        add_published_questionnaire(Channel.objects.create(slug=A11Y_CHANNEL_SLUG, name=A11Y_CHANNEL_NAME, order=9))
        accounts.create_staff(username=CALL_TAKER, password=password, roles=[Role.CALL_TAKER], validate=False)
        phone_handler = accounts.create_staff(
            username=PHONE_HANDLER, password=password, roles=[Role.HANDLER], validate=False
        )
        for slug, name, kind in (
            (PHONE_CHANNEL_SLUG, PHONE_CHANNEL_NAME, ChannelKind.PHONE),
            (POST_CHANNEL_SLUG, POST_CHANNEL_NAME, ChannelKind.POST),
        ):
            taken = Channel.objects.create(slug=slug, name=name, kind=kind, order=5)
            taken.recipients.add(phone_handler)
            add_published_questionnaire(taken)
        seed_rewards(password)
        give_authenticators(authenticator_keys)


def seed_rewards(password: str) -> None:
    """The rewarded channel, received by its own handler, with a policy; a reward officer."""
    from tipline.accounts import services as accounts
    from tipline.accounts.models import Role
    from tipline.register.models import Channel, Outcome
    from tipline.rewards.models import RewardPolicy

    handler = accounts.create_staff(username=REWARD_HANDLER, password=password, roles=[Role.HANDLER], validate=False)
    accounts.create_staff(username=REWARD_OFFICER, password=password, roles=[Role.REWARD_OFFICER], validate=False)
    channel = Channel.objects.create(
        slug=REWARD_CHANNEL_SLUG, name=REWARD_CHANNEL_NAME, description="Rewards for useful reports.", order=6
    )
    channel.recipients.add(handler)
    add_published_questionnaire(channel)
    policy = RewardPolicy.objects.create(channel=channel, currency="EUR", causes=REWARD_CAUSE)
    policy.eligible_outcomes.add(Outcome.objects.get(code="substantiated"))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tipline.settings")
    import django

    django.setup()
    seed(**json.load(sys.stdin))


if __name__ == "__main__":
    main()
