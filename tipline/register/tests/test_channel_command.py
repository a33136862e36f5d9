"""``tipline channel``: channels created and changed from the command line, with the admin's checks."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tipline.audit.models import AuditEntry
from tipline.conftest import Setup
from tipline.register import services
from tipline.register.models import Channel, ChannelKind, FieldType, Question, Report

MAILBOX = [
    "--set=imap_url=imaps://mail.example.org:993",
    "--set=imap_user=tips",
    "--set=imap_password_env=TIPLINE_MAIL_PASSWORD",
    "--set=email_address=tips@example.org",
]


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("channel", *args, stdout=out)
    return out.getvalue()


def refused(*args: str) -> str:
    with pytest.raises(CommandError) as error:
        run(*args)
    return str(error.value)


def test_a_phone_channel_is_created_with_its_details_and_recipients(org: Setup) -> None:
    out = run(
        "create", "--kind", "phone", "--slug", "hotline", "--name", "Hotline",
        "--set", "phone_number=+44 20 7946 0000", "--set", "hours=Weekdays, 9:00 to 17:00",
        "--set", "languages=English, 中文", "--set", "is_active=yes",
        "--recipient", "handler", "--recipient", "other",
    )  # fmt: skip
    assert "Created channel hotline (phone)" in out
    channel = Channel.objects.get(slug="hotline")
    assert (channel.kind, channel.name, channel.phone_number) == ("phone", "Hotline", "+44 20 7946 0000")
    assert (channel.hours, channel.languages, channel.is_active) == ("Weekdays, 9:00 to 17:00", "English, 中文", True)
    assert set(channel.recipients.values_list("username", flat=True)) == {"handler", "other"}
    entry = AuditEntry.objects.get(action="channel.recipients_changed")
    assert entry.detail == {"channel": "hotline", "added": ["handler", "other"], "removed": []}
    assert channel.current_questionnaire() is not None  # the call-taker's screen opens at once


def test_a_mailbox_channel_is_created_with_its_questionnaire_published(org: Setup) -> None:
    out = run("create", "--kind", "mailbox", "--slug", "mail", "--name", "Mailbox", *MAILBOX)
    assert "Created channel mail (mailbox)" in out
    channel = Channel.objects.get(slug="mail")
    assert channel.imap_url == "imaps://mail.example.org:993"
    assert channel.imap_password_env == "TIPLINE_MAIL_PASSWORD"
    assert channel.imap_folder == "INBOX"
    assert channel.current_questionnaire() is not None
    assert not AuditEntry.objects.filter(action="channel.recipients_changed").exists()
    assert AuditEntry.objects.get(action="channel.created").detail == {"channel": "mail", "kind": "mailbox"}


def _listed() -> list[str]:
    return [channel["slug"] for channel in json.loads(Client().get("/how-to-report.json").content)["channels"]]


def test_a_new_web_channel_opens_with_its_first_question(org: Setup) -> None:
    said = run("create", "--kind", "web", "--slug", "online", "--name", "Online form")
    assert "Until it has one, the form is not listed and takes no reports." in said
    # A form that asks nothing would take an empty report: not listed, not open, not sent to.
    assert Client().get("/report/online/").status_code == 404
    assert "online" not in _listed()
    assert "online" not in Client().get("/report/").content.decode()
    assert not Report.objects.filter(channel__slug="online").exists()
    channel = Channel.objects.get(slug="online")
    Question.objects.create(channel=channel, key="what", field_type=FieldType.LONG_TEXT, label="What happened?")
    services.publish_questionnaire(channel=channel)
    assert Client().get("/report/online/").status_code == 200
    assert "online" in _listed()


@pytest.mark.parametrize("kind", ["post", "meeting"])
def test_a_channel_taken_by_staff_has_its_questionnaire_published(org: Setup, kind: str) -> None:
    run("create", "--kind", kind, "--slug", "other", "--name", "Other", "--set", "postal_address=PO Box 12")
    assert Channel.objects.get(slug="other").current_questionnaire() is not None


def test_a_new_channel_is_on_the_public_list_at_once(org: Setup) -> None:
    run("create", "--kind", "post", "--slug", "letters", "--name", "By letter", "--set", "postal_address=PO Box 12")
    listed = json.loads(Client().get("/how-to-report.json").content)
    letters = next(channel for channel in listed["channels"] if channel["slug"] == "letters")
    assert (letters["kind"], letters["postal_address"]) == ("post", "PO Box 12")


@pytest.mark.parametrize(
    ("given", "field"),
    [
        (["--set=imap_url=imaps://mail.example.org:993"], "imap_user"),
        (
            ["--set=imap_url=imap://mail.example.org:143", "--set=imap_user=tips", "--set=imap_password_env=X"],
            "imap_url",
        ),
        # An account or password in the address would be stored and shown in clear.
        (
            [
                "--set=imap_url=imaps://tips:S3cret@mail.example.org",
                "--set=imap_user=tips",
                "--set=imap_password_env=X",
            ],
            "imap_url",
        ),
        (
            [
                "--set=imap_url=imaps://mail.example.org/?password=S3cret",
                "--set=imap_user=t",
                "--set=imap_password_env=X",
            ],
            "imap_url",
        ),
        ([*MAILBOX, "--set=imap_password_file=/run/secret"], "imap_password_env"),
        ([*MAILBOX[:2], "--set=imap_password_file=relative/file"], "imap_password_file"),
        ([*MAILBOX, "--set=mail_reply=sometimes"], "mail_reply"),
    ],
)
def test_a_mailbox_is_checked_as_the_admin_checks_it(org: Setup, given: list[str], field: str) -> None:
    message = refused("create", "--kind", "mailbox", "--slug", "mail", "--name", "Mailbox", *given)
    assert f"{field}:" in message
    assert not Channel.objects.filter(slug="mail").exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--set", "phone_number=call us"], "phone_number: Enter a phone number"),
        (["--set", "ack_days=soon"], "ack_days:"),
        (["--set", "is_active=maybe"], "is_active: give yes or no"),
        (["--set", "colour=blue"], "there is no field 'colour'"),
        (["--set", "hours"], "FIELD=VALUE"),
        (["--set", "hours=9-5", "--set", "hours=10-4"], "hours is given twice"),
        (["--recipient", "nobody"], "no staff member called nobody"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_created(org: Setup, args: list[str], says: str) -> None:
    assert says in refused("create", "--kind", "phone", "--slug", "hotline", "--name", "Hotline", *args)
    assert not Channel.objects.filter(slug="hotline").exists()


def test_a_taken_slug_or_an_unknown_kind_is_refused(org: Setup) -> None:
    assert "slug:" in refused("create", "--kind", "web", "--slug", "web", "--name", "Again")
    assert "invalid choice" in refused("create", "--kind", "pigeon", "--slug", "birds", "--name", "Birds")
    assert Channel.objects.count() == 1


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--set", "postal_address=" + "x" * 501], "postal_address: Ensure this value has at most 500 characters"),
        (["--set", "hours=" + "x" * 201], "hours: Ensure this value has at most 200 characters"),
        (["--set", "hours:zh-hans=" + "时" * 201], "hours:zh-hans: Ensure this value has at most 200 characters"),
        (["--set", "name:zh-hans=" + "名" * 201], "name:zh-hans: Ensure this value has at most 200 characters"),
        (
            ["--set", "postal_address:zh-hans=" + "址" * 501],
            "postal_address:zh-hans: Ensure this value has at most 500",
        ),
        (["--set", "email_address=not an address"], "email_address: Enter a valid email address"),
        (["--set", "order=-1"], "order: Ensure this value is greater than or equal to 0"),
    ],
)
def test_a_value_the_admin_refuses_is_refused(org: Setup, args: list[str], says: str) -> None:
    assert says in refused("create", "--kind", "post", "--slug", "letters", "--name", "Letters", *args)
    assert not Channel.objects.filter(slug="letters").exists()
    assert says in refused("set", "web", *[arg for arg in args if arg != "--set"])
    assert Channel.objects.get(slug="web").translations == {}


def test_a_name_longer_than_the_admin_allows_is_refused(org: Setup) -> None:
    assert "name: Ensure this value has at most 200" in refused(
        "create", "--kind", "post", "--slug", "letters", "--name", "x" * 201
    )
    assert not Channel.objects.filter(slug="letters").exists()


@pytest.mark.parametrize(
    ("word", "option"),
    [("slug=other", "--slug"), ("kind=mailbox", "--kind"), ("name=Other", "--name")],
)
def test_create_takes_the_slug_kind_and_name_only_from_their_options(org: Setup, word: str, option: str) -> None:
    message = refused("create", "--kind", "web", "--slug", "aa", "--name", "AA", "--set", word)
    assert f"give it with {option}" in message
    assert Channel.objects.count() == 1


def test_create_if_missing_leaves_an_existing_channel_as_it_is(org: Setup) -> None:
    given = ["create", "--if-missing", "--kind", "phone", "--slug", "hotline", "--name", "Hotline"]
    first = run(*given, "--set", "phone_number=+44 20 7946 0000", "--recipient", "handler")
    assert "Created channel hotline (phone)" in first
    entries = AuditEntry.objects.count()
    again = run(*given, "--set", "phone_number=+44 20 7946 0000", "--recipient", "handler")
    assert "Channel hotline (phone) already exists: left as it is." in again
    assert "differ" not in again
    assert AuditEntry.objects.count() == entries, "nothing written"
    changed = run(*given, "--set", "phone_number=+44 20 7946 0001", "--set", "hours=Always", "--recipient", "other")
    assert "already exists: left as it is" in changed
    assert "differs from what was given: phone_number, hours, recipients" in changed
    channel = Channel.objects.get(slug="hotline")
    assert (channel.phone_number, channel.hours) == ("+44 20 7946 0000", "")
    assert list(channel.recipients.values_list("username", flat=True)) == ["handler"]
    assert channel.questionnaire_versions.count() == 1


def test_create_if_missing_refuses_another_kind_or_a_bad_value(org: Setup) -> None:
    message = refused("create", "--if-missing", "--kind", "mailbox", "--slug", "web", "--name", "Web tips")
    assert "channel web exists and is a web channel, not mailbox" in message
    assert "hours: Ensure this value" in refused(
        "create", "--if-missing", "--kind", "web", "--slug", "web", "--name", "Web tips", "--set", "hours=" + "x" * 201
    )
    assert "no staff member called nobody" in refused(
        "create", "--if-missing", "--kind", "web", "--slug", "web", "--name", "Web tips", "--recipient", "nobody"
    )
    with pytest.raises(CommandError) as error:
        run("create", "--if-missing", "--kind", "post", "--slug", "web", "--name", "Web tips")
    assert error.value.returncode == 1
    assert Channel.objects.get(slug="web").kind == ChannelKind.WEB


@pytest.mark.parametrize("word", ["imap_password=hunter2", "password=hunter2", "imap_password_env=hunter2", "hunter2"])
def test_an_imap_password_is_never_taken_nor_repeated(org: Setup, word: str) -> None:
    message = refused("create", "--kind", "mailbox", "--slug", "mail", "--name", "Mailbox", "--set", word)
    assert "hunter2" not in message
    assert not Channel.objects.filter(slug="mail").exists()


def test_set_changes_only_what_is_given(org: Setup) -> None:
    out = run("set", "web", "hours=Always", "is_active=no", "description=Tell us")
    assert "Changed channel web: hours, is_active." in out
    channel = Channel.objects.get(slug="web")
    assert (channel.hours, channel.is_active, channel.name) == ("Always", False, "Web tips")
    entry = AuditEntry.objects.get(action="channel.changed")
    assert entry.detail == {"channel": "web", "fields": ["hours", "is_active"]}, "which fields, not their values"
    assert "nothing changed" in run("set", "web", "hours=Always")
    assert AuditEntry.objects.filter(action="channel.changed").count() == 1, "nothing changed: nothing audited"


def test_set_refuses_bad_input_and_keeps_the_channel(org: Setup) -> None:
    assert "kind: " in refused("set", "web", "kind=fax")
    assert "imap_user:" in refused("set", "web", "kind=mailbox", "imap_url=imaps://mail.example.org")
    assert "there is no channel 'nope'" in refused("set", "nope", "hours=Always")
    assert "nothing to change" in refused("set", "web")
    assert "handler is both added and removed" in refused(
        "set", "web", "--add-recipient", "handler", "--remove-recipient", "handler"
    )
    channel = Channel.objects.get(slug="web")
    assert (channel.kind, channel.imap_url) == (ChannelKind.WEB, "")


def test_recipients_are_added_and_removed_with_an_audit_entry(org: Setup) -> None:
    out = run("set", "web", "--add-recipient", "other", "--remove-recipient", "handler")
    assert "Changed channel web: recipients." in out
    assert list(org.channel.recipients.values_list("username", flat=True)) == ["other"]
    entry = AuditEntry.objects.get(action="channel.recipients_changed")
    assert entry.detail == {"channel": "web", "added": ["other"], "removed": ["handler"]}
    assert entry.actor_name == "system"


def test_show_and_list_give_the_settings_but_no_password(org: Setup) -> None:
    run("create", "--kind", "mailbox", "--slug", "mail", "--name", "Mailbox", *MAILBOX, "--recipient", "handler")
    shown = run("show", "mail")
    assert "imap_password_env: TIPLINE_MAIL_PASSWORD" in shown
    assert "recipients: handler" in shown
    assert "is_active: yes" in shown
    details = json.loads(run("show", "mail", "--json"))
    assert details["imap_url"] == "imaps://mail.example.org:993"
    assert details["recipients"] == ["handler"]
    assert not {key for key in details if "password" in key} - {"imap_password_env", "imap_password_file"}
    assert run("list").splitlines() == ["mail\tmailbox\topen\tMailbox", "web\tweb\topen\tWeb tips"]
    assert [row["slug"] for row in json.loads(run("list", "--json"))] == ["mail", "web"]


def test_a_refusal_makes_the_command_exit_with_status_1(org: Setup) -> None:
    with pytest.raises(CommandError) as error:
        run("show", "nope")
    assert error.value.returncode == 1  # what ``tipline channel`` exits with


def test_the_help_names_every_field_and_what_repeats() -> None:
    import argparse

    from tipline.register.management.commands.channel import Command

    parser = Command().create_parser("tipline", "channel")
    actions = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    create, change = actions.choices["create"].format_help(), actions.choices["set"].format_help()
    for text in (create, change):
        assert "imap_password_env" in " ".join(text.split())
        assert "name:zh-hans" in text
        assert "(repeat for more)" in " ".join(text.split())
    assert "FIELD is one of: slug" not in " ".join(create.split()), "create takes the slug from --slug"
    assert "FIELD is one of: slug, kind, name" in " ".join(change.split())


def test_the_deployment_s_warnings_do_not_bury_the_command_s_answer(
    org: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    """As from a shell: the system checks' warnings came before the one line of a refusal."""
    from django.core import checks
    from django.core.management import ManagementUtility

    def noisy(app_configs: object, **kwargs: object) -> list[checks.CheckMessage]:
        return [checks.Warning("a deployment warning", id="tipline.W999")]

    checks.register(noisy)
    try:
        with pytest.raises(SystemExit):
            ManagementUtility(["tipline", "channel", "show", "nowhere"]).execute()
        said = capsys.readouterr().err
        assert "CommandError" in said
        assert "nowhere" in said
        assert "a deployment warning" not in said
    finally:
        checks.registry.registry.registered_checks.discard(noisy)
