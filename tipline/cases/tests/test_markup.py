"""The queue's quick escaping gives what Django's ``conditional_escape`` gives."""

from __future__ import annotations

from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st

from tipline.cases.markup import esc


@given(st.text())
def test_plain_text_is_escaped_as_django_escapes_it(text: str) -> None:
    assert esc(text) == conditional_escape(text)


def test_markup_lazy_text_and_numbers() -> None:
    assert esc("<b title=\"x\">'&'</b>") == "&lt;b title=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/b&gt;"
    assert esc(mark_safe("<em>kept</em>")) == "<em>kept</em>"
    assert esc(gettext_lazy("Status")) == "Status"
    assert esc(42) == "42"
