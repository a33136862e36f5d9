"""The questions a mail's report is shown with, in every site language the catalogue has."""

from __future__ import annotations

import pytest
from django.utils import translation

from tipline.conftest import Setup
from tipline.mailbox import services
from tipline.register.models import Channel, ChannelKind
from tipline.register.texts import localize_schema

CHINESE = {"Subject": "主题", "Message": "正文"}


def _catalogue(message: str) -> str:
    return CHINESE.get(message, message) if translation.get_language() == "zh-hans" else message


def test_mail_questions_are_written_in_each_language_the_catalogue_has(
    org: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    channel = Channel.objects.create(slug="mail", name="Mail", kind=ChannelKind.MAILBOX)
    monkeypatch.setattr(services, "_", lambda message: message)  # a catalogue without Chinese yet
    first = services.mail_questionnaire(channel=channel)
    assert all("translations" not in question for question in first.fields)  # nothing translated yet
    assert services.mail_questionnaire(channel=channel) == first  # and nothing to publish again
    monkeypatch.setattr(services, "_", _catalogue)
    second = services.mail_questionnaire(channel=channel)  # the catalogue gained Chinese
    assert second.number == first.number + 1
    shown = {q["key"]: q["label"] for q in localize_schema(second.fields, "zh-hans")}
    assert shown["subject"] == "主题"
    assert shown["message"] == "正文"
    assert shown["not_taken_in"].lang == "en"  # still untranslated: marked
    assert services.mail_questionnaire(channel=channel) == second
