# ruff: noqa: RUF001 - the demo's Chinese texts: full-width punctuation
from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from tipline.accounts import services as accounts
from tipline.accounts.models import Organisation, Role, StaffUser
from tipline.register import services as register
from tipline.register.models import Channel, ChannelKind, FieldType, MailReply, Question

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
    (
        "when",
        FieldType.DATE,
        "When did it happen, or start?",
        "If you know only the month, pick its first day and say so in your account.",
        False,
        None,
        "",
    ),
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

# The demo's questions in Simplified Chinese: label, help text, choices (in the same order).
DEMO_QUESTIONS_ZH = {
    "what": ("发生了什么？", "请描述您看到或知道的情况：谁、做了什么、在哪里。先写您确定的事实。", ""),
    "where": ("在哪里发生？", "一个地点、办公室、部门或项目。", ""),
    "when": ("什么时候发生或开始的？", "如果只知道月份，请选该月第一天，并在描述中说明。", ""),
    "kind": ("这属于哪一类违法违规行为？", "", "贿赂或腐败\n欺诈或挪用公款\n滥用职权\n利益冲突\n其他"),
    "ongoing": ("现在是否仍在发生？", "", ""),
    "evidence": ("有哪些证据？", "可多选。", "文件\n电子邮件或消息\n照片或录音录像\n证人\n据我所知没有"),
    "reported_before": ("您以前是否向其他地方举报过此事？", "", ""),
    "files": ("附加文件", "支持您举报内容的文件、照片或录音录像。", ""),
}

# The demo's channels in Simplified Chinese: name, description, privacy notice.
DEMO_CHANNELS_ZH = {
    "report": (
        "举报违法违规行为",
        "向我们反映腐败、欺诈或滥用职权问题。您可以匿名举报。",
        "举报只由廉政办公室的案件组处理。",
    ),
    "email": (
        "通过电子邮件举报",
        "请写信给我们。您会收到一封附有回执号码的回信，可凭回执在网上跟进举报，无需再使用电子邮件。",
        "",
    ),
    "phone": ("电话举报", "接线员会与您一起记录举报内容，并向您读出回执号码。", ""),
    "post": ("信件举报", "寄信给我们；您无需署名，也无需写寄件人地址。", ""),
    "meeting": (
        "当面举报",
        "您可以要求与我们当面会谈：打电话预约，或在举报后通过回执登录网上门户提出。会谈在私密的房间进行，您可以选择时间。",
        "",
    ),
}
DEMO_HOURS_ZH = "周一至周五 9:00 至 17:00"


def channel_translations(slug: str) -> dict[str, dict[str, str]]:
    name, description, notice = DEMO_CHANNELS_ZH[slug]
    texts = {"name": name, "description": description, "privacy_notice": notice}
    if slug in {"phone", "meeting"}:
        texts["hours"] = DEMO_HOURS_ZH
    return {"zh-hans": texts}


def question_translations(key: str) -> dict[str, dict[str, str]]:
    label, help_text, choices = DEMO_QUESTIONS_ZH[key]
    return {"zh-hans": {"label": label, "help_text": help_text, "choices": choices}}


def translate_demo() -> bool:
    """Give a demo seeded before texts had languages its Chinese; True if anything changed."""
    changed = False
    for channel in Channel.objects.filter(slug__in=DEMO_CHANNELS_ZH, translations={}):
        channel.translations = channel_translations(channel.slug)
        channel.save(update_fields=["translations"])
        for question in channel.questions.filter(key__in=DEMO_QUESTIONS_ZH, translations={}):
            question.translations = question_translations(question.key)
            question.save(update_fields=["translations"])
        if channel.questions.exists():
            register.publish_questionnaire(channel=channel)
        changed = True
    return changed


def _password() -> str:
    return "-".join(secrets.token_urlsafe(6) for _ in range(3))


def _questions(channel: Channel, *, files: bool) -> None:
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
                translations=question_translations(key),
            )
            for i, (key, kind, label, help_text, required, max_length, choices) in enumerate(DEMO_QUESTIONS)
            if files or kind != FieldType.FILE
        ]
    )
    register.publish_questionnaire(channel=channel)


def _other_channels(handler: StaffUser) -> dict[str, str]:
    """The mailbox, phone and post channels beside the web form, and a call-taker for the
    phone; returns the call-taker's password. The demo mailbox is not read (no IMAP server)."""
    mailbox = Channel.objects.create(
        slug="email",
        kind=ChannelKind.MAILBOX,
        name="Report by e-mail",
        description="Write to us. You get a receipt by return to follow your report on the web without e-mail.",
        email_address="tips@integrity.example",
        mail_reply=MailReply.RECEIPT,
        languages="English, 中文",
        order=1,
        translations=channel_translations("email"),
    )
    phone = Channel.objects.create(
        slug="phone",
        kind=ChannelKind.PHONE,
        name="Report by phone",
        description="A call-taker writes your report down with you and reads you a receipt.",
        phone_number="+44 20 7946 0000",
        hours="Monday to Friday, 9:00 to 17:00",
        languages="English, 中文",
        order=2,
        translations=channel_translations("phone"),
    )
    post = Channel.objects.create(
        slug="post",
        kind=ChannelKind.POST,
        name="Report by post",
        description="Send a letter; you need not give your name or a sender address.",
        postal_address="Demo Integrity Office\nPO Box 100\nLondon SW1A 1AA",
        languages="English, 中文",
        order=3,
        translations=channel_translations("post"),
    )
    for channel in (mailbox, phone, post):
        channel.recipients.add(handler)
    _questions(phone, files=False)
    _questions(post, files=False)
    _meeting_channel(handler)
    password = _password()
    accounts.create_staff(
        username="calltaker", password=password, roles=[Role.CALL_TAKER], display_name="Demo call-taker", validate=False
    )
    return {"calltaker": password}


def _meeting_channel(handler: StaffUser) -> Channel:
    """Art. 9(2): a meeting in person on request, entered by a call-taker like a call."""
    meeting = Channel.objects.create(
        slug="meeting",
        kind=ChannelKind.MEETING,
        name="Meet us in person",
        description=(
            "Ask for a meeting: call us, or ask in the portal with your receipt once you have reported. "
            "We meet you in a private room, at a time you choose."
        ),
        phone_number="+44 20 7946 0000",
        hours="Monday to Friday, 9:00 to 17:00",
        languages="English, 中文",
        order=4,
        translations=channel_translations("meeting"),
    )
    meeting.recipients.add(handler)
    _questions(meeting, files=False)
    return meeting


def _rewards(channel: Channel) -> dict[str, str]:
    """A reward officer, and a reward policy on the web channel (substantiated reports)."""
    from tipline.register.models import Outcome  # noqa: PLC0415 - only for the demo
    from tipline.rewards.models import RewardPolicy  # noqa: PLC0415

    password = _password()
    accounts.create_staff(
        username="rewards",
        password=password,
        roles=[Role.REWARD_OFFICER],
        display_name="Demo reward officer",
        validate=False,
    )
    policy = RewardPolicy.objects.create(
        channel=channel, currency="EUR", causes="Transparency International\nRed Cross"
    )
    policy.eligible_outcomes.add(*Outcome.objects.filter(code="substantiated"))
    return {"rewards": password}


class Command(BaseCommand):
    help = (
        "Seed the demo the first time only: an organisation, a web form, mailbox, phone and post channels, "
        "and four staff accounts. A demo seeded before those channels existed gets them added."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if Organisation.objects.exists():
            handler = StaffUser.objects.filter(username="handler").first()
            if (
                handler is not None
                and Channel.objects.filter(slug="report").exists()
                and not (Channel.objects.filter(slug__in=["email", "phone", "post"]).exists())
            ):
                with transaction.atomic():
                    self._show(_other_channels(handler), "Demo channels for e-mail, phone and post added.")
                return
            if handler is not None and not Channel.objects.filter(kind=ChannelKind.MEETING).exists():
                with transaction.atomic():
                    _meeting_channel(handler)
                self.stdout.write("Demo channel for meetings in person added.")
                return
            if translate_demo():
                self.stdout.write("Demo channels and questions given their Simplified Chinese texts.")
                return
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
                languages="English, 中文",
                description="Tell us about corruption, fraud or abuse of office. You can stay anonymous.",
                privacy_notice="Reports are handled by the integrity office's case team only.",
                translations=channel_translations("report"),
            )
            channel.recipients.add(handler)
            _questions(channel, files=True)
            passwords.update(_other_channels(handler))
            passwords.update(_rewards(channel))
        self._show(passwords, "Demo seeded.")

    def _show(self, passwords: dict[str, str], done: str) -> None:
        self.stdout.write(
            self.style.SUCCESS(f"{done} Staff log-in at /staff/login/ — these passwords are shown only now:")
        )
        for username, password in passwords.items():
            self.stdout.write(f"  {username:<11} {password}")
        if "calltaker" in passwords:
            self.stdout.write("  The call-taker's screen is at /calls/ (log in as calltaker).")
