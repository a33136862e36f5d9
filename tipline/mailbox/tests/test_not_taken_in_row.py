"""A mail's report lists "Not taken in" only when something was left out of the mail: the
question is answered only then, and an empty row on every report said nothing."""

from __future__ import annotations

import importlib

from django.apps import apps

from tipline.conftest import Setup
from tipline.mailbox import services
from tipline.register import services as register
from tipline.register.models import Channel, ChannelKind, Question, QuestionnaireVersion

MIGRATION = importlib.import_module("tipline.register.migrations.0020_question_hide_unanswered")


def _mailbox() -> Channel:
    return Channel.objects.create(slug="mail", name="Mail", kind=ChannelKind.MAILBOX)


def _listed(channel: Channel, answers: dict[str, str]) -> dict[str, object]:
    version = services.mail_questionnaire(channel=channel)
    submission = register.create_report(channel=channel, questionnaire=version, answers=answers)
    shown = register.read_answers(report=submission.report, report_key=submission.report_key)
    return {question["key"]: value for question, value in shown}


def test_not_taken_in_is_listed_only_when_something_was_left_out(org: Setup) -> None:
    channel = _mailbox()
    assert _listed(channel, {"subject": "Bids", "message": "Read this."}) == {
        "subject": "Bids",
        "message": "Read this.",
    }
    left_out = _listed(channel, {"subject": "Bids", "message": "", "not_taken_in": "An attachment too large."})
    assert left_out["not_taken_in"] == "An attachment too large."


def test_a_question_not_hidden_is_still_listed_without_an_answer(org: Setup) -> None:
    # The web form's optional questions keep their "(no answer)" row: a reporter who skipped one said so.
    version = org.channel.current_questionnaire()
    assert version is not None
    assert all("hide_unanswered" not in question for question in version.fields)
    submission = register.create_report(channel=org.channel, questionnaire=version, answers={})
    shown = register.read_answers(report=submission.report, report_key=submission.report_key)
    assert [value for _question, value in shown] == [None] * len(shown)
    assert shown


def test_the_flag_is_in_a_version_only_when_set() -> None:
    # Versions published before the flag existed stay equal to an unchanged questionnaire.
    question = Question(key="what", field_type="short_text", label="What?")
    assert "hide_unanswered" not in question.as_schema()
    question.hide_unanswered = True
    assert question.as_schema()["hide_unanswered"] is True


def _as_before_the_flag(channel: Channel) -> QuestionnaireVersion:
    version = services.mail_questionnaire(channel=channel)
    Question.objects.filter(channel=channel).update(hide_unanswered=False)
    old = [{k: v for k, v in field.items() if k != "hide_unanswered"} for field in version.fields]
    QuestionnaireVersion.objects.filter(pk=version.pk).update(fields=old)
    version.refresh_from_db()
    return version


def test_a_mailbox_published_before_the_flag_gets_it_with_its_next_mail(org: Setup) -> None:
    channel = _mailbox()
    old = _as_before_the_flag(channel)
    new = services.mail_questionnaire(channel=channel)
    assert new.number == old.number + 1
    assert {q["key"]: q.get("hide_unanswered", False) for q in new.fields} == {
        "subject": False,
        "message": False,
        "not_taken_in": True,
    }
    assert services.mail_questionnaire(channel=channel) == new  # nothing more to publish


def test_the_migration_flags_the_versions_old_mail_reports_were_answered_on(org: Setup) -> None:
    channel = _mailbox()
    old = _as_before_the_flag(channel)
    # A web form may have a question of the same name: it is not the mailbox's, and keeps its row.
    web = Question.objects.create(channel=org.channel, key="not_taken_in", field_type="long_text", label="Other")
    web_version = register.publish_questionnaire(channel=org.channel)

    MIGRATION.hide_empty_not_taken_in(apps, None)

    old.refresh_from_db()
    assert [q.get("hide_unanswered", False) for q in old.fields] == [False, False, True]
    assert Question.objects.get(channel=channel, key="not_taken_in").hide_unanswered
    web.refresh_from_db()
    web_version.refresh_from_db()
    assert not web.hide_unanswered
    assert all("hide_unanswered" not in q for q in web_version.fields)
    assert services.mail_questionnaire(channel=channel) == old  # current again: no new version
