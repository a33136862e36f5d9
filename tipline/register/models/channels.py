"""Channels and their questionnaires: the ways in for reports (web form, mailbox, phone)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tipline.local_text import LocalText, clean_translations, pick, site_language, unix_lines


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
    POST = "post", _("Post")
    MEETING = "meeting", _("Meeting")


# Channels whose reports staff enter (the call-taker's screen), and those that take mail.
STAFF_ENTERED_KINDS = frozenset({ChannelKind.PHONE, ChannelKind.POST, ChannelKind.MEETING})


class MailReply(models.TextChoices):
    NOTHING = "nothing", _("No reply")
    ACKNOWLEDGEMENT = "ack", _("An acknowledgement")
    RECEIPT = "receipt", _("An acknowledgement with a receipt and the portal address")


PHONE_NUMBER = RegexValidator(
    r"^\+?(?:[ ()./-]*[0-9]){3,}[ ()./-]*$",
    _("Enter a phone number: digits, with an optional + in front, spaces, dashes, dots or brackets."),
)


@dataclass(frozen=True)
class ImapServer:
    """Where a mailbox channel's mail is read: ``tls`` (implicit), ``starttls`` or ``plain``."""

    host: str
    port: int
    security: str


_IMAP_SCHEMES = {"imaps": ("tls", 993), "imap+starttls": ("starttls", 143), "imap": ("plain", 143)}


def imap_server(url: str) -> ImapServer:
    """Parse a channel's IMAP address; :class:`ValidationError` says what is wrong with it.
    Plain ``imap://`` (no encryption) is allowed only to this machine (loopback)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValidationError(_("This is not a valid server address.")) from None
    if "@" in parts.netloc or parts.query or parts.fragment:
        # The address is stored and shown in clear: an account or password in it would be too.
        raise ValidationError(
            _(
                "Give only the server here, without an account, a password or anything after it: the account "
                "has a field of its own, and the password is read from the environment or a file."
            )
        )
    if parts.scheme not in _IMAP_SCHEMES or not parts.hostname or parts.path not in {"", "/"}:
        raise ValidationError(
            _("Use imaps://host:993, imap+starttls://host:143 or, on this machine, imap://127.0.0.1:143.")
        )
    security, default_port = _IMAP_SCHEMES[parts.scheme]
    if security == "plain" and not _is_loopback(parts.hostname):
        raise ValidationError(
            _(
                "Mail is read without encryption only from this machine (127.0.0.1 or ::1); use imaps:// or imap+starttls://."
            )
        )
    return ImapServer(host=parts.hostname, port=port or default_port, security=security)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
        help_text=_("Post channels (and any channel that takes letters): where people send them, one line per line."),
    )
    phone_number = models.CharField(
        _("phone number"),
        max_length=40,
        blank=True,
        validators=[PHONE_NUMBER],
        help_text=_(
            "Phone and meeting channels: the number as people dial it, with the country code, e.g. +44 20 7946 0000."
        ),
    )
    hours = models.CharField(
        _("opening hours"),
        max_length=200,
        blank=True,
        help_text=_("Phone and meeting channels: when someone answers, e.g. Monday to Friday, 9:00 to 17:00."),
    )
    languages = models.CharField(
        _("languages"),
        max_length=200,
        blank=True,
        help_text=_("The languages people can use with this channel, e.g. English, 中文."),
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
        verbose_name=_("recipients"),
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
    order = models.PositiveIntegerField(_("order"), default=0)
    # Mailbox channels: the mailbox read over IMAP by ``tipline worker``. The password is
    # never stored here: only the name of the environment variable or file that holds it.
    imap_url = models.CharField(
        _("IMAP server"),
        max_length=300,
        blank=True,
        help_text=_(
            "imaps://host:993 (TLS) or imap+starttls://host:143; imap://127.0.0.1:port only for a server on "
            "this machine. Empty: the mailbox is not read."
        ),
    )
    imap_user = models.CharField(_("IMAP account"), max_length=200, blank=True)
    imap_password_env = models.CharField(
        _("password variable"),
        max_length=100,
        blank=True,
        validators=[RegexValidator(r"^[A-Z_][A-Z0-9_]*$", _("Use capital letters, digits and _ only."))],
        help_text=_("The environment variable of the worker that holds the IMAP password, e.g. TIPLINE_MAIL_PASSWORD."),
    )
    imap_password_file = models.CharField(
        _("password file"),
        max_length=300,
        blank=True,
        help_text=_("Or a file readable by the worker that holds the IMAP password (absolute path)."),
    )
    imap_folder = models.CharField(_("folder to read"), max_length=200, blank=True, default="INBOX")
    imap_done_folder = models.CharField(
        _("folder for taken-in mail"),
        max_length=200,
        blank=True,
        help_text=_("Where a message goes once its report is stored. Empty: it is deleted from the mailbox."),
    )
    mail_reply = models.CharField(
        _("reply to the sender"), max_length=10, choices=MailReply.choices, default=MailReply.ACKNOWLEDGEMENT
    )
    # What the worker found the last time it read the mailbox (written by the worker only):
    # when it last read it whole, and what has stopped it since when (never a message's words).
    mail_read_at = models.DateTimeField(_("mailbox last read"), null=True, blank=True, editable=False)
    mail_problem = models.CharField(_("mailbox problem"), max_length=300, blank=True, default="", editable=False)
    # The same, as the worker wrote it in each site language: {"zh-hans": "…"}.
    mail_problem_said = models.JSONField(default=dict, blank=True, editable=False)
    mail_problem_since = models.DateTimeField(_("mailbox problem since"), null=True, blank=True, editable=False)
    # The texts a reporter reads, in the site languages other than the default one (whose
    # text is in the columns): {"zh-hans": {"name": "…", "description": "…", "privacy_notice": "…"}}.
    translations = models.JSONField(_("translations"), default=dict, blank=True)
    mail_answers = models.BooleanField(
        _("handlers may answer by e-mail"),
        default=False,
        help_text=_(
            "The sender's address is then also readable by the handlers of the report (not only by supervisors), "
            "and their answers travel by e-mail, which is not confidential. Off: answers only in the portal."
        ),
    )

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        """The name in the active language (staff pages, the admin), or the default one."""
        return str(self.text_in("name"))

    # Texts written in a textarea, kept with their lines ended by "\n" (see unix_lines).
    MULTI_LINE = ("description", "postal_address", "privacy_notice", "acknowledgement_text")

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.translations = clean_translations(self.translations, self.TRANSLATED)
        for name in self.MULTI_LINE:
            setattr(self, name, unix_lines(getattr(self, name)))
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if self.kind != ChannelKind.MAILBOX or not self.imap_url:
            return
        errors: dict[str, Any] = {}
        try:
            imap_server(self.imap_url)
        except ValidationError as error:
            errors["imap_url"] = error
        if not self.imap_user:
            errors["imap_user"] = _("Give the account that reads the mailbox.")
        if bool(self.imap_password_env) == bool(self.imap_password_file):
            errors["imap_password_env"] = _("Give either a password variable or a password file (one of them).")
        if self.imap_password_file and not self.imap_password_file.startswith("/"):
            errors["imap_password_file"] = _("Give the full path, starting with /.")
        if not self.imap_folder.strip():
            errors["imap_folder"] = _("Give the folder to read, usually INBOX.")
        if errors:
            raise ValidationError(errors)

    # The hours and the postal address are written per language too ("Monday to Friday" is
    # not read the same everywhere; an address may have a form in each script).
    TRANSLATED = ("name", "description", "privacy_notice", "hours", "postal_address")

    def text_in(self, field: str, language: str | None = None) -> LocalText:
        """A text of :attr:`TRANSLATED` in ``language`` (the active one when not given), or the
        default language's text marked as a fallback."""
        return pick(getattr(self, field), self.translations, field, language)

    @property
    def local_name(self) -> LocalText:
        """Its name in the active language (a fallback keeps its language mark in a page)."""
        return self.text_in("name")

    @property
    def local_mail_problem(self) -> LocalText:
        """What stops the worker reading the mailbox, in the active language; in English (as the
        log says it, marked) when it was written before the worker wrote it in each language."""
        wanted = site_language(None)
        said = self.mail_problem_said.get(wanted) if isinstance(self.mail_problem_said, dict) else None
        if isinstance(said, str) and said:
            return LocalText(said)
        return LocalText(self.mail_problem, lang="" if wanted == "en" else "en")

    def texts_in(self, language: str | None = None) -> dict[str, LocalText]:
        """Every text a reporter reads of this channel, in ``language``."""
        return {field: self.text_in(field, language) for field in self.TRANSLATED}

    def current_questionnaire(self) -> QuestionnaireVersion | None:
        return self.questionnaire_versions.order_by("-number").first()

    def asks_something(self) -> bool:
        """Whether its published questionnaire has a question. A web form without one would
        take an empty report, so such a form is neither listed nor open until it has one."""
        version = self.current_questionnaire()
        return version is not None and version.asks_something


class Question(models.Model):
    """The editable draft of a channel's questionnaire; published as a version."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveIntegerField(_("order"), default=0)
    key = models.SlugField(_("key"), max_length=50, help_text=_("A short internal name, unique in the form."))
    field_type = models.CharField(_("type"), max_length=20, choices=FieldType.choices)
    label = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("help text"), max_length=500, blank=True)
    required = models.BooleanField(_("required"), default=False)
    hide_unanswered = models.BooleanField(
        _("hide when not answered"),
        default=False,
        help_text=_(
            "A report without an answer to it does not list it, for a question that is answered only when "
            "there is something to say. Otherwise it is listed with “(no answer)”."
        ),
    )
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    choices = models.TextField(_("choices"), blank=True, help_text=_("One choice per line."))
    # The question in the other site languages: {"zh-hans": {"label": "…", "help_text": "…",
    # "choices": "one per line, in the same order"}}. Answers keep the default language's
    # choice, so what is stored never depends on the language the form was read in.
    translations = models.JSONField(_("translations"), default=dict, blank=True)

    TRANSLATED = ("label", "help_text", "choices")

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["channel", "key"], name="unique_question_key")]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.label

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.translations = clean_translations(self.translations, self.TRANSLATED)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        self.translations = clean_translations(self.translations, self.TRANSLATED)
        count = len(_lines(self.choices))
        for language, texts in self.translations.items():
            if "choices" in texts and len(_lines(texts["choices"])) != count:
                raise ValidationError(
                    _(
                        "Give as many choices in %(language)s as in the default language, "
                        "in the same order (one per line)."
                    ),
                    code="choices_mismatch",
                    params={"language": language},
                )

    def as_schema(self) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "key": self.key,
            "type": self.field_type,
            "label": self.label,
            "help": self.help_text,
            "required": self.required,
            "max_length": self.max_length,
            "choices": _lines(self.choices),
        }
        # Only when set or there are any, so that versions published before these existed
        # stay equal to an unchanged questionnaire (no new version for nothing).
        if self.hide_unanswered:
            schema["hide_unanswered"] = True
        translations = {
            language: {
                **({"label": texts["label"]} if "label" in texts else {}),
                **({"help": texts["help_text"]} if "help_text" in texts else {}),
                **({"choices": _lines(texts["choices"])} if "choices" in texts else {}),
            }
            for language, texts in clean_translations(self.translations, self.TRANSLATED).items()
        }
        if translations:
            schema["translations"] = translations
        return schema


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


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

    @property
    def asks_something(self) -> bool:
        """Whether it has a question (a web form without one is not open: see Channel.asks_something)."""
        return bool(self.fields)
