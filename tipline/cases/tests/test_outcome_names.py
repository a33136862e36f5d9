"""Built-in outcomes are shown in the reader's language until an admin renames them."""

from __future__ import annotations

import pytest
from django.utils import translation

from tipline.register.models import BUILT_IN_OUTCOME_NAMES, Outcome


@pytest.mark.django_db
def test_every_built_in_outcome_is_seeded_with_the_name_the_translation_expects() -> None:
    seeded = dict(Outcome.objects.values_list("code", "name"))
    assert {code: english for code, (english, _) in BUILT_IN_OUTCOME_NAMES.items()} == seeded


@pytest.mark.django_db
def test_a_built_in_outcome_is_translated_for_a_chinese_reader() -> None:
    malicious = Outcome.objects.get(code="malicious")
    with translation.override("zh-hans"):
        assert str(malicious) == "恶意举报"
    with translation.override("en"):
        assert str(malicious) == "Malicious report"


@pytest.mark.django_db
def test_a_renamed_outcome_is_shown_as_the_admin_named_it() -> None:
    outcome = Outcome.objects.get(code="substantiated")
    outcome.name = "Confirmed by the audit office"
    with translation.override("zh-hans"):
        assert str(outcome) == "Confirmed by the audit office"
    custom = Outcome(code="settled", name="Settled with the supplier")
    with translation.override("zh-hans"):
        assert str(custom) == "Settled with the supplier"
