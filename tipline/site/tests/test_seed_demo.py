# ruff: noqa: RUF001 - Chinese texts: full-width punctuation
"""The demo that ``make run`` serves: a web form, a mailbox, a phone and a post channel,
and a call-taker whose screen works."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from tipline.accounts.models import Role, StaffUser
from tipline.register.models import Channel, ChannelKind, Question, QuestionnaireVersion


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_demo_has_every_kind_of_channel_and_a_call_taker() -> None:
    said = _seed()
    kinds = dict(Channel.objects.values_list("slug", "kind"))
    assert kinds == {
        "report": ChannelKind.WEB,
        "email": ChannelKind.MAILBOX,
        "phone": ChannelKind.PHONE,
        "post": ChannelKind.POST,
        "meeting": ChannelKind.MEETING,
    }
    assert Channel.objects.get(slug="meeting").current_questionnaire() is not None
    assert Channel.objects.get(slug="phone").current_questionnaire() is not None
    assert Role.CALL_TAKER in StaffUser.objects.get(username="calltaker").roles
    assert "calltaker" in said
    page = Client().get("/how-to-report/").content.decode()
    for text in ("tips@integrity.example", "+44 20 7946 0000", "PO Box 100"):
        assert text in page
    assert "Meet us in person" in page
    assert 'href="/calls/new/meeting/"' in _calls_home()
    assert "nothing changed" in _seed()


def _calls_home() -> str:
    from tipline.accounts import services as accounts
    from tipline.accounts.testing import login_staff

    accounts.create_staff(username="desk", password="a long pass phrase 42", roles=[Role.CALL_TAKER], validate=False)
    client = Client(enforce_csrf_checks=True)
    login_staff(client, "desk", "a long pass phrase 42")
    return client.get("/calls/").content.decode()


@pytest.mark.django_db
def test_a_demo_seeded_before_gets_the_new_channels() -> None:
    _seed()
    QuestionnaireVersion.objects.exclude(channel__slug="report").delete()
    Channel.objects.exclude(slug="report").delete()
    StaffUser.objects.filter(username="calltaker").delete()
    said = _seed()
    assert "added" in said
    assert set(Channel.objects.values_list("slug", flat=True)) == {"report", "email", "phone", "post", "meeting"}


@pytest.mark.django_db
def test_a_demo_seeded_before_meetings_gets_its_meeting_channel() -> None:
    _seed()
    QuestionnaireVersion.objects.filter(channel__slug="meeting").delete()
    Channel.objects.filter(slug="meeting").delete()
    assert "meetings in person added" in _seed()
    assert Channel.objects.get(slug="meeting").kind == ChannelKind.MEETING
    assert "nothing changed" in _seed()


@pytest.mark.django_db
def test_the_demo_has_a_reward_officer_and_a_reward_policy_on_the_web_form() -> None:
    said = _seed()
    assert Role.REWARD_OFFICER in StaffUser.objects.get(username="rewards").roles
    assert "rewards" in said
    from tipline.rewards.models import RewardPolicy

    policy = RewardPolicy.objects.get(channel__slug="report")
    assert list(policy.eligible_outcomes.values_list("code", flat=True)) == ["substantiated"]


@pytest.mark.django_db
def test_the_demo_form_reads_in_chinese() -> None:
    _seed()
    page = Client().get("/report/report/", HTTP_ACCEPT_LANGUAGE="zh-Hans").content.decode()
    for text in ("举报违法违规行为", "举报只由廉政办公室的案件组处理。", "发生了什么？", "贿赂或腐败", "可多选。"):
        assert text in page, text
    assert 'lang="en"' not in page.split("<main", 1)[1]  # everything of the demo is translated
    chinese = Client().get("/zh-hans/how-to-report/").content.decode()
    assert "电话举报" in chinese
    assert "当面举报" in chinese
    assert "周一至周五 9:00 至 17:00" in chinese
    assert "Monday to Friday" not in chinese.split("<main", 1)[1]


@pytest.mark.django_db
def test_a_demo_seeded_before_languages_gets_its_chinese() -> None:
    _seed()
    Channel.objects.update(translations={})
    Question.objects.update(translations={})
    assert "Chinese" in _seed()
    assert Channel.objects.get(slug="post").translations["zh-hans"]["name"] == "信件举报"
    version = Channel.objects.get(slug="report").current_questionnaire()
    assert version is not None
    assert version.fields[0]["translations"]["zh-hans"]["label"] == "发生了什么？"
    assert "nothing changed" in _seed()
