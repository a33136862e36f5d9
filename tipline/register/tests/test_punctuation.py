"""Punctuation as the page's language writes it: brackets, and the space after a sentence."""

from __future__ import annotations

from django.template import Context, Template
from django.utils import translation

from tipline.register.templatetags.punctuation import bracketed, sentence_space


def test_brackets_follow_the_language_and_the_text_is_escaped() -> None:
    assert bracketed("Phone") == "(Phone)"
    assert bracketed("<b>") == "(&lt;b&gt;)"
    with translation.override("zh-hans"):
        assert bracketed("电话") == "\uff08电话\uff09"


def test_a_sentence_is_followed_by_a_space_in_english_and_by_none_in_chinese() -> None:
    assert sentence_space() == " "
    with translation.override("zh-hans"):
        assert sentence_space() == ""


def test_two_sentences_translated_apart_read_as_the_language_joins_them() -> None:
    page = Template(
        "{% load i18n punctuation %}"
        '<p>{% translate "Off." %}{% sentence_space %}{% translate "Your role needs it." %}</p>'
    )
    assert page.render(Context()) == "<p>Off. Your role needs it.</p>"
    with translation.override("zh-hans"):
        assert page.render(Context()) == "<p>未启用。您的角色要求启用。</p>"
