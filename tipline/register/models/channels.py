"""Channels and their questionnaires: the ways in for reports (web form, mailbox, phone)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class FieldType(models.TextChoices):
    SHORT_TEXT = "short_text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    SINGLE_CHOICE = "single_choice", _("Single choice")
    MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
    DATE = "date", _("Date")
    YES_NO = "yes_no", _("Yes or no")
    FILE = "file", _("Files")


class ChannelKind(models.TextChoices):
    WEB = "web", _("Web form")
    MAILBOX = "mailbox", _("Mailbox")
    PHONE = "phone", _("Phone")


PHONE_NUMBER = RegexValidator(
    r"^\+?(?:[ ()./-]*[0-9]){3,}[ ()./-]*$",
    _("Enter a phone number: digits, with an optional + in front, spaces, dashes, dots or brackets."),
)


class Channel(models.Model):
    """A way in for reports. Web channels carry a versioned questionnaire."""

    slug = models.SlugField(_("address name"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ChannelKind.choices, default=ChannelKind.WEB)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # How people reach a mailbox or phone channel, shown on the public "How to report" page.
    email_address = models.EmailField(
        _("e-mail address"),
        max_length=254,
        blank=True,
        help_text=_("Mailbox channels: the address people send reports to by e-mail."),
    )
    postal_address = models.TextField(
        _("postal address"),
        max_length=500,
        blank=True,
        help_text=_("Mailbox channels: where people send letters, one line of the address per line."),
    )
    phone_number = models.CharField(
        _("phone number"),
        max_length=40,
        blank=True,
        validators=[PHONE_NUMBER],
        help_text=_("Phone channels: the number as people dial it, with the country code, e.g. +44 20 7946 0000."),
    )
    hours = models.CharField(
        _("opening hours"),
        max_length=200,
        blank=True,
        help_text=_("Phone channels: when someone answers, e.g. Monday to Friday, 9:00 to 17:00."),
    )
    privacy_notice = models.TextField(
        _("privacy notice"),
        blank=True,
        help_text=_("Shown before the form: what is and is not recorded. A standard notice is added."),
    )
    is_active = models.BooleanField(_("open for reports"), default=True)
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="channels",
        help_text=_("Staff who receive every new report of this channel."),
    )
    ack_days = models.PositiveIntegerField(_("days to acknowledge"), default=7)
    feedback_months = models.PositiveIntegerField(_("months to give feedback after acknowledging"), default=3)
    retention_days = models.PositiveIntegerField(
        _("days to keep a closed report"),
        default=90,
        help_text=_("After this many days without activity, a closed report is destroyed (unless on legal hold)."),
    )
    auto_acknowledge = models.BooleanField(
        _("acknowledge automatically on receipt"),
        default=False,
        help_text=_("Sends the reporter the acknowledgement message as soon as the report arrives."),
    )
    acknowledgement_text = models.TextField(
        _("acknowledgement message"),
        blank=True,
        help_text=_("Sent to the reporter on acknowledgement. A standard text is used when empty."),
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name

    def current_questionnaire(self) -> QuestionnaireVersion | None:
        return self.questionnaire_versions.order_by("-number").first()


class Question(models.Model):
    """The editable draft of a channel's questionnaire; published as a version."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveIntegerField(_("order"), default=0)
    key = models.SlugField(_("key"), max_length=50, help_text=_("A short internal name, unique in the form."))
    field_type = models.CharField(_("type"), max_length=20, choices=FieldType.choices)
    label = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("help text"), max_length=500, blank=True)
    required = models.BooleanField(_("required"), default=False)
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    choices = models.TextField(_("choices"), blank=True, help_text=_("One choice per line."))

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["channel", "key"], name="unique_question_key")]

    def __str__(self) -> str:
        return self.label

    def as_schema(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "type": self.field_type,
            "label": self.label,
            "help": self.help_text,
            "required": self.required,
            "max_length": self.max_length,
            "choices": [c.strip() for c in self.choices.splitlines() if c.strip()],
        }


class QuestionnaireVersion(models.Model):
    """An immutable snapshot of a questionnaire; a report keeps the one it was answered on."""

    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="questionnaire_versions")
    number = models.PositiveIntegerField()
    fields = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["channel", "number"], name="unique_questionnaire_version")]

    def __str__(self) -> str:
        return f"{self.channel} v{self.number}"
