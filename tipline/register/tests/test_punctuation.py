"""A text in brackets as the page's language writes them."""

from __future__ import annotations

from django.utils import translation

from tipline.register.templatetags.punctuation import bracketed


def test_brackets_follow_the_language_and_the_text_is_escaped() -> None:
    assert bracketed("Phone") == "(Phone)"
    assert bracketed("<b>") == "(&lt;b&gt;)"
    with translation.override("zh-hans"):
        assert bracketed("电话") == "\uff08电话\uff09"
