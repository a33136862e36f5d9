# ruff: noqa: RUF001 - Chinese texts: full-width punctuation
"""Questionnaire and channel texts per site language: the reader's language, a marked
fallback where a text is missing, answers stored the same whatever the language."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.template import Context, Template
from django.test import Client
from django.utils import translation

from tipline.accounts.testing import login_staff
from tipline.conftest import PASSWORD, Setup, csrf_token
from tipline.local_text import LocalText, pick
from tipline.register import services
from tipline.register.forms import ReportForm
from tipline.register.models import Channel, Question

URL = "/report/web/"
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-Hans"}


def _translate(channel: Channel) -> None:
    channel.translations = {"zh-hans": {"name": "网上举报", "privacy_notice": "只有案件组阅读举报。"}}
    channel.privacy_notice = "Only the case team reads reports."
    channel.save()
    texts = {
        "what": {"label": "发生了什么？", "help_text": "先写确定的事实。"},
        "kind": {"label": "类别", "choices": "贿赂\n欺诈"},
        "evidence": {"label": "证据", "choices": "文件\n照片"},
    }
    for question in channel.questions.all():
        question.translations = {"zh-hans": texts[question.key]} if question.key in texts else {}
        question.save()
    services.publish_questionnaire(channel=channel)


def test_a_fallback_is_marked_with_its_language_and_escaped() -> None:
    text = pick("<b>Where?</b>", {}, "label", "zh-hans")
    assert text == "<b>Where?</b>"
    assert text.is_fallback
    rendered = Template("{{ text }}").render(Context({"text": text}))
    assert rendered == '<span lang="en">&lt;b&gt;Where?&lt;/b&gt;</span>'
    assert Template("{{ text }}").render(Context({"text": LocalText("<i>x</i>")})) == "&lt;i&gt;x&lt;/i&gt;"
    assert pick("Where?", {"zh-hans": {"label": "哪里？"}}, "label", "zh-Hans") == "哪里？"
    assert not pick("Where?", {"zh-hans": {"label": "  "}}, "label", "en").is_fallback


def test_an_untranslated_questionnaire_publishes_no_new_version(org: Setup) -> None:
    before = org.channel.current_questionnaire()
    assert services.publish_questionnaire(channel=org.channel) == before
    assert all("translations" not in question for question in before.fields)  # type: ignore[union-attr]


def test_translated_choices_must_match_the_default_ones(org: Setup) -> None:
    question = org.channel.questions.get(key="kind")
    question.translations = {"zh-hans": {"choices": "贿赂\n欺诈\n其他"}}
    with pytest.raises(ValidationError, match="as many choices"):
        question.full_clean()


def test_unknown_languages_and_empty_texts_are_not_kept(org: Setup) -> None:
    question = org.channel.questions.get(key="what")
    question.translations = {"fr": {"label": "Quoi ?"}, "zh-hans": {"label": " ", "help_text": "帮助", "x": "y"}}
    question.save()
    question.refresh_from_db()
    assert question.translations == {"zh-hans": {"help_text": "帮助"}}


def test_the_form_is_in_the_readers_language_and_stores_the_same_answers(org: Setup) -> None:
    _translate(org.channel)
    version = org.channel.current_questionnaire()
    assert version is not None
    data = {"q_what": "现金", "q_kind": "Fraud", "q_evidence": ["Documents"], "version": version.number}
    zh = ReportForm(data, schema=version.fields, version=version.number, language="zh-hans")
    en = ReportForm(data, schema=version.fields, version=version.number, language="en")
    assert zh.is_valid(), zh.errors
    assert en.is_valid(), en.errors
    assert zh.answers() == en.answers() == {"what": "现金", "kind": "Fraud", "evidence": ["Documents"]}
    html = str(zh["q_kind"]) + zh["q_what"].label_tag() + str(zh["q_where"].label_tag())
    assert "欺诈" in html
    assert "Fraud" in html
    assert "发生了什么？" in html
    assert '<span lang="en">Where?</span>' in html
    assert zh.untranslated
    assert not en.untranslated


def test_a_choice_in_another_language_than_the_stored_one_is_refused(org: Setup) -> None:
    _translate(org.channel)
    version = org.channel.current_questionnaire()
    assert version is not None
    data = {"q_what": "x", "q_kind": "欺诈"}
    form = ReportForm(data, schema=version.fields, version=version.number, language="zh-hans")
    assert not form.is_valid()
    assert "q_kind" in form.errors


def test_a_chinese_reader_sees_the_form_in_chinese_with_marked_fallbacks(org: Setup, client: Client) -> None:
    _translate(org.channel)
    page = client.get(URL, **ZH).content.decode()
    for text in ("网上举报", "只有案件组阅读举报。", "发生了什么？", "先写确定的事实。", "贿赂", "欺诈", "证据"):
        assert text in page, text
    assert '<span lang="en">Where?</span>' in page  # a question not translated
    assert '<span lang="en">Tell us</span>' in page  # the description not translated
    assert "<title>网上举报" in page.replace("\n", "") or "网上举报</title>" in page
    assert 'class="untranslated-note"' in page
    english = client.get(URL).content.decode()
    assert "网上举报" not in english


def test_a_report_sent_in_chinese_stores_the_default_choice_and_reads_back_in_each_language(
    org: Setup, client: Client
) -> None:
    _translate(org.channel)
    token = csrf_token(client, URL)
    data = {"csrfmiddlewaretoken": token, "q_what": "现金", "q_kind": "Bribery", "q_evidence": ["Photos"]}
    assert client.post(URL, data, **ZH).status_code == 302
    version = org.channel.current_questionnaire()
    assert version is not None
    form = ReportForm(data, schema=version.fields, version=version.number, language="zh-hans")
    assert form.is_valid(), form.errors
    submission = services.create_report(channel=org.channel, questionnaire=version, answers=form.answers(), files=[])
    report, key = submission.report, submission.report_key
    with translation.override("zh-hans"):
        answers = {q["key"]: value for q, value in services.read_answers(report=report, report_key=key)}
    assert answers["kind"] == "贿赂"
    assert answers["evidence"] == ["照片"]
    answers_en = {q["key"]: v for q, v in services.read_answers(report=report, report_key=key, language="en")}
    assert answers_en["kind"] == "Bribery"


def test_the_channel_command_shows_and_sets_a_text_per_language(org: Setup) -> None:
    call_command("channel", "set", "web", "name:zh-hans=网上举报", "privacy_notice:zh-hans=只有案件组。")
    channel = Channel.objects.get(slug="web")
    assert channel.translations == {"zh-hans": {"name": "网上举报", "privacy_notice": "只有案件组。"}}
    out = StringIO()
    call_command("channel", "show", "web", stdout=out)
    assert "name:zh-hans: 网上举报" in out.getvalue()
    out = StringIO()
    call_command("channel", "show", "web", "--json", stdout=out)
    assert json.loads(out.getvalue())["translations"]["zh-hans"]["name"] == "网上举报"
    call_command("channel", "set", "web", "name:zh-hans=")  # cleared: the default language shows again
    assert Channel.objects.get(slug="web").translations == {"zh-hans": {"privacy_notice": "只有案件组。"}}
    for bad in ("name:fr=Nom", "kind:zh-hans=web", "translations={}"):
        with pytest.raises(CommandError, match="there is no field"):
            call_command("channel", "set", "web", bad)


def _admin_data(token: str, channel: Channel, **extra: str) -> dict[str, str]:
    data = {
        "csrfmiddlewaretoken": token,
        "slug": channel.slug,
        "kind": "web",
        "name": channel.name,
        "description": channel.description,
        "name_zh_hans": "网上举报",
        "is_active": "on",
        "ack_days": "7",
        "feedback_months": "3",
        "retention_days": "90",
        "order": "0",
        "imap_folder": "INBOX",
        "mail_reply": "ack",
        "questions-TOTAL_FORMS": "1",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
        "questions-0-order": "0",
        "questions-0-key": "colour",
        "questions-0-field_type": "single_choice",
        "questions-0-label": "Colour",
        "questions-0-choices": "Red\nBlue",
        "questions-0-label_zh_hans": "颜色",
        "questions-0-choices_zh_hans": "红\n蓝",
    }
    data.update(extra)
    return data


def test_an_admin_writes_the_texts_per_language(db: None) -> None:
    from tipline.accounts import services as accounts
    from tipline.accounts.models import Role

    _, escrow = accounts.create_organisation(name="Office")
    accounts.create_staff(username="admin", password=PASSWORD, roles=[Role.ADMIN], escrow_private_key=escrow)
    channel = Channel.objects.create(slug="tips", name="Tips")
    admin = Client(enforce_csrf_checks=True)
    login_staff(admin, "admin", PASSWORD)
    url = f"/admin/register/channel/{channel.pk}/change/"
    form = admin.get(url).content.decode()
    assert 'name="name_zh_hans"' in form
    assert 'name="privacy_notice_zh_hans"' in form
    bad = admin.post(url, _admin_data(csrf_token(admin, url), channel, **{"questions-0-choices_zh_hans": "红"}))
    assert bad.status_code == 200
    assert "as many choices" in bad.content.decode()
    assert not Question.objects.exists()
    assert Channel.objects.get(pk=channel.pk).translations == {}
    assert admin.post(url, _admin_data(csrf_token(admin, url), channel)).status_code == 302
    channel.refresh_from_db()
    assert channel.translations == {"zh-hans": {"name": "网上举报"}}
    version = channel.current_questionnaire()
    assert version is not None
    assert version.fields[0]["translations"] == {"zh-hans": {"label": "颜色", "choices": ["红", "蓝"]}}


def test_the_portal_shows_the_questions_and_choices_in_the_readers_language(org: Setup, client: Client) -> None:
    _translate(org.channel)
    token = csrf_token(client, URL)
    data = {"csrfmiddlewaretoken": token, "q_what": "现金", "q_kind": "Fraud", "q_evidence": ["Documents"]}
    assert client.post(URL, data, **ZH).status_code == 302
    client.get("/receipt/", **ZH)
    portal = client.get("/portal/report/", **ZH).content.decode()
    for text in ("发生了什么？", "类别", "欺诈", "文件"):
        assert text in portal, text
    assert '<span lang="en">Where?</span>' in portal
    assert "Fraud" not in portal.split("<main", 1)[1]
