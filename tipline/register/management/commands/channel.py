"""``tipline channel``: list, show, create and change channels, for automated deployments.

Every value goes through the admin's form field for it (lengths, choices, numbers; a
translation through the admin's field for that language), then the whole channel through
the model's ``full_clean`` (``Channel.clean`` checks a mailbox's IMAP settings), so what
the admin refuses is refused here. The IMAP password is never taken or shown: a channel
names only the environment variable or the file that holds it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction

from tipline.accounts.models import StaffUser
from tipline.audit import services as audit
from tipline.local_text import clean_translations, other_languages
from tipline.register import services
from tipline.register.admin import ChannelAdmin, translation_fields
from tipline.register.models import Channel, ChannelKind

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})
# On create these come from their own options, never from --set.
_OPTIONS = {"slug": "--slug", "kind": "--kind", "name": "--name"}
_NO_PASSWORD = (
    "an IMAP password is never stored or taken: set imap_password_env (the name of the worker's "
    "environment variable that holds it) or imap_password_file (the path of a file that holds it)"
)


def _settable() -> dict[str, models.Field[Any, Any]]:
    """The channel's own fields (its texts in other languages are FIELD:LANGUAGE, below)."""
    return {
        f.name: f
        for f in Channel._meta.concrete_fields
        if f.editable and not f.primary_key and f.name != "translations"
    }


def _translated() -> dict[str, tuple[str, str]]:
    """``name:zh-hans`` and the like: a text in another site language, as (field, language)."""
    return {
        f"{field}:{language}": (field, language)
        for language, _name in other_languages()
        for field in Channel.TRANSLATED
    }


def _admin_fields() -> dict[str, forms.Field]:
    """The admin's form field for each name the command takes (``hours``, ``hours:zh-hans``)."""
    form_fields = ChannelAdmin.form.base_fields
    fields = {name: form_fields[name] for name in _settable()}
    for language, _name in other_languages():
        for field, form_name in zip(Channel.TRANSLATED, translation_fields(Channel, language), strict=True):
            fields[f"{field}:{language}"] = form_fields[form_name]
    return fields


def _value(channel: Channel, name: str) -> Any:
    if name in _translated():
        field, language = _translated()[name]
        return (channel.translations or {}).get(language, {}).get(field, "")
    return getattr(channel, name)


def _assignments(texts: Iterable[str]) -> dict[str, str]:
    """``FIELD=VALUE`` words as a dict; a bad word is named by its field only, never its value."""
    fields = _settable()
    values: dict[str, str] = {}
    for text in texts:
        name, equals, value = text.partition("=")
        name = name.strip()
        if not equals:
            msg = "give each change as FIELD=VALUE (an empty VALUE clears a text field)"
            raise CommandError(msg)
        if "password" in name and name not in fields:
            raise CommandError(_NO_PASSWORD)
        if name not in fields and name not in _translated():
            msg = (
                f"there is no field {name!r}; fields: {', '.join(sorted(fields))}; "
                f"texts in other languages: {', '.join(_translated())}"
            )
            raise CommandError(msg)
        if name in values:
            msg = f"{name} is given twice"
            raise CommandError(msg)
        values[name] = value
    return values


def _convert(field: forms.Field, text: str) -> Any:
    """The value as the admin's form would take it (surrounding spaces dropped)."""
    if isinstance(field, forms.BooleanField):  # the form takes any word but "false" as yes
        word = text.strip().lower()
        if word not in _TRUE | _FALSE:
            raise ValidationError("give yes or no (true/false, 1/0, on/off)")
        return word in _TRUE
    return field.clean(text.strip())


def _problems(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "\n".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
    return " ".join(error.messages)


def _apply(channel: Channel, values: dict[str, str]) -> None:
    """Set the values on the channel and check it as the admin does; nothing is saved."""
    fields = _admin_fields()
    errors: dict[str, list[str]] = {}
    for name, text in values.items():
        try:
            value = _convert(fields[name], text)
        except ValidationError as error:
            errors[name] = error.messages
            continue
        if name in _translated():  # an empty text clears the translation (the default language shows)
            field, language = _translated()[name]
            translations = {code: dict(texts) for code, texts in (channel.translations or {}).items()}
            translations.setdefault(language, {})[field] = str(value or "")
            channel.translations = clean_translations(translations, Channel.TRANSLATED)
        else:
            setattr(channel, name, value)
    if errors:
        raise CommandError(_problems(ValidationError(errors)))
    try:
        channel.full_clean()
    except ValidationError as error:
        raise CommandError(_problems(error)) from None


def _staff(usernames: Iterable[str]) -> list[StaffUser]:
    wanted = set(usernames)
    found = list(StaffUser.objects.filter(username__in=wanted))
    missing = wanted - {user.username for user in found}
    if missing:
        msg = f"no staff member called {', '.join(sorted(missing))}"
        raise CommandError(msg)
    return found


def _channel(slug: str, *, for_update: bool = False) -> Channel:
    query = Channel.objects.select_for_update() if for_update else Channel.objects.all()
    channel = query.filter(slug=slug).first()
    if channel is None:
        msg = f"there is no channel {slug!r} ('tipline channel list' lists them)"
        raise CommandError(msg)
    return channel


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).replace("\n", "\\n")  # one line per field; a postal address as typed with $'…\n…'


class Command(BaseCommand):
    # The deployment's warnings belong to `tipline serve` and `tipline check`: printed before
    # every command here, they buried the one line that says what was refused.
    requires_system_checks: list[str] = []
    help = (
        "Channels from the command line, with the admin's checks. 'tipline channel list'; "
        "'tipline channel show SLUG'; 'tipline channel create --kind KIND --slug SLUG --name NAME "
        "[--set FIELD=VALUE …] [--recipient USERNAME …] [--if-missing]'; 'tipline channel set SLUG FIELD=VALUE … "
        "[--add-recipient USERNAME …] [--remove-recipient USERNAME …]'. Yes/no fields take yes or no. "
        "A text in another site language is FIELD:LANGUAGE=VALUE, e.g. name:zh-hans=… (empty: not translated). "
        "The IMAP password is never given here: set imap_password_env or imap_password_file."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{list,show,create,set}")
        listing = actions.add_parser("list", help="every channel: slug, kind, open or closed, name")
        listing.add_argument("--json", action="store_true", help="as JSON")
        show = actions.add_parser("show", help="one channel's settings and recipients")
        show.add_argument("slug")
        show.add_argument("--json", action="store_true", help="as JSON")

        def fields(names: Iterable[str]) -> str:
            return (
                f"FIELD is one of: {', '.join(names)}; and a text in another site language as FIELD:LANGUAGE "
                f"({', '.join(_translated())}). Yes/no fields take yes or no; an empty value clears a text."
            )

        create = actions.add_parser(
            "create",
            help="a new channel",
            description="Create a channel.",
            epilog=fields(name for name in _settable() if name not in _OPTIONS),
        )
        create.add_argument("--kind", required=True, choices=ChannelKind.values, help="how reports come in")
        create.add_argument("--slug", required=True, help="its short name in addresses, e.g. hotline")
        create.add_argument("--name", required=True, help="its name as the public and the staff see it")
        create.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            dest="assignments",
            help="a setting (repeat for more), e.g. --set phone_number='+44 20 7946 0000'",
        )
        create.add_argument(
            "--recipient",
            action="append",
            default=[],
            metavar="USERNAME",
            dest="add",
            help="a staff member who receives its reports (repeat for more)",
        )
        create.add_argument(
            "--if-missing",
            action="store_true",
            help="if the slug is taken by a channel of this kind, leave that channel as it is and exit 0",
        )
        change = actions.add_parser(
            "set", help="change a channel", description="Change a channel.", epilog=fields(_settable())
        )
        change.add_argument("slug", help="the channel to change")
        change.add_argument("assignments", nargs="*", metavar="FIELD=VALUE", help="the settings to change")
        change.add_argument(
            "--add-recipient",
            action="append",
            default=[],
            metavar="USERNAME",
            dest="add",
            help="a staff member who now receives its reports (repeat for more)",
        )
        change.add_argument(
            "--remove-recipient",
            action="append",
            default=[],
            metavar="USERNAME",
            dest="remove",
            help="a staff member who no longer receives them (repeat for more)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "list":
            self._list(as_json=options["json"])
        elif action == "show":
            self._show(_channel(options["slug"]), as_json=options["json"])
        elif action == "create":
            self._create(options)
        else:
            self._set(options)

    def _list(self, *, as_json: bool) -> None:
        channels = list(Channel.objects.order_by("order", "name"))
        if as_json:
            rows = [{"slug": c.slug, "kind": c.kind, "name": c.name, "is_active": c.is_active} for c in channels]
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for channel in channels:
            state = "open" if channel.is_active else "closed"
            self.stdout.write(f"{channel.slug}\t{channel.kind}\t{state}\t{channel.name}")

    def _show(self, channel: Channel, *, as_json: bool) -> None:
        details: dict[str, Any] = {name: getattr(channel, name) for name in _settable()}
        if as_json:
            details["translations"] = channel.translations or {}
        else:
            details.update({name: _value(channel, name) for name in _translated()})
        details["recipients"] = sorted(services.recipient_names(channel=channel))
        current = channel.current_questionnaire()
        details["questionnaire_version"] = current.number if current else None
        if channel.kind == ChannelKind.MAILBOX:  # what the worker found when it last read the mailbox
            details["mail_read_at"] = channel.mail_read_at.isoformat() if channel.mail_read_at else None
            details["mail_problem"] = channel.mail_problem
            details["mail_problem_since"] = (
                channel.mail_problem_since.isoformat() if channel.mail_problem_since else None
            )
        if as_json:
            self.stdout.write(json.dumps(details, ensure_ascii=False, indent=2))
            return
        for name, value in details.items():
            shown = ", ".join(value) if isinstance(value, list) else ("none yet" if value is None else _shown(value))
            self.stdout.write(f"{name}: {shown}")

    def _create(self, options: dict[str, Any]) -> None:
        values = _assignments(options["assignments"])
        for name in values.keys() & _OPTIONS.keys():
            msg = f"{name} is not given with --set when creating a channel: give it with {_OPTIONS[name]}"
            raise CommandError(msg)
        values = {"name": options["name"], **values}  # the name is checked like any other value
        recipients = _staff(options["add"])
        existing = Channel.objects.filter(slug=options["slug"]).first()
        if existing is not None and options["if_missing"]:
            self._leave(existing, kind=options["kind"], values=values, recipients=recipients)
            return
        channel = Channel(kind=options["kind"], slug=options["slug"])
        _apply(channel, values)
        with transaction.atomic():
            channel.save()
            audit.record(action="channel.created", detail={"channel": channel.slug, "kind": channel.kind})
            channel.recipients.add(*recipients)
            services.record_recipient_change(channel=channel, before=frozenset(), by=None)
            # As the admin does on save: the call-taker's screen opens at once (a web form with its first question)
            # (a mailbox adds its questions to it when the first mail comes in).
            services.publish_questionnaire(channel=channel)
        self.stdout.write(self.style.SUCCESS(f"Created channel {channel.slug} ({channel.kind})."))
        if channel.kind == ChannelKind.MAILBOX:
            if not channel.imap_url:
                self.stdout.write("Its mailbox is not read until imap_url is set.")
        elif channel.kind == ChannelKind.WEB:
            self.stdout.write(
                "Its questionnaire has no questions yet: write them in the admin, where saving publishes them. "
                "Until it has one, the form is not listed and takes no reports."
            )
        else:
            self.stdout.write(
                "Its questionnaire has no questions yet: write them in the admin, where saving publishes them. "
                "Until then the call-taker's screen asks no questions of its own."
            )

    def _leave(self, channel: Channel, *, kind: str, values: dict[str, str], recipients: list[StaffUser]) -> None:
        """``create --if-missing`` for a slug that is taken: check what was given, change nothing."""
        if channel.kind != kind:
            msg = (
                f"channel {channel.slug} exists and is a {channel.kind} channel, not {kind}; nothing was changed "
                f"('tipline channel set {channel.slug} kind=…' changes its kind)"
            )
            raise CommandError(msg)
        before = {name: _value(channel, name) for name in values}
        _apply(channel, values)  # refuses what create would refuse; the channel is not saved
        differ = [name for name in values if _value(channel, name) != before[name]]
        wanted = {user.username for user in recipients}
        if wanted and wanted != services.recipient_names(channel=channel):
            differ.append("recipients")
        self.stdout.write(f"Channel {channel.slug} ({channel.kind}) already exists: left as it is.")
        if differ:
            self.stdout.write(
                f"It differs from what was given: {', '.join(differ)} ('tipline channel set' changes it)."
            )

    def _set(self, options: dict[str, Any]) -> None:
        values = _assignments(options["assignments"])
        add, remove = set(options["add"]), set(options["remove"])
        if not values and not add and not remove:
            msg = "nothing to change: give FIELD=VALUE or --add-recipient / --remove-recipient"
            raise CommandError(msg)
        if add & remove:
            msg = f"{', '.join(sorted(add & remove))} is both added and removed"
            raise CommandError(msg)
        with transaction.atomic():
            channel = _channel(options["slug"], for_update=True)
            before = {name: _value(channel, name) for name in values}
            _apply(channel, values)
            changed = [name for name in values if _value(channel, name) != before[name]]
            if changed:
                columns = {"translations" if name in _translated() else name for name in changed}
                channel.save(update_fields=sorted(columns))
                # Which fields, never their values (a mailbox account, an address for answers).
                audit.record(action="channel.changed", detail={"channel": channel.slug, "fields": sorted(changed)})
            recipients_before = services.recipient_names(channel=channel)
            channel.recipients.add(*_staff(add))
            channel.recipients.remove(*_staff(remove))
            services.record_recipient_change(channel=channel, before=recipients_before, by=None)
            recipients_changed = services.recipient_names(channel=channel) != recipients_before
        if not changed and not recipients_changed:
            self.stdout.write(f"Channel {channel.slug}: nothing changed.")
            return
        parts = [*changed, *(["recipients"] if recipients_changed else [])]
        self.stdout.write(self.style.SUCCESS(f"Changed channel {channel.slug}: {', '.join(parts)}."))
