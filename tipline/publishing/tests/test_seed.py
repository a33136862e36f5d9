"""The demo that ``make run`` seeds: the profile, every category, English and Chinese."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.test import Client

from tipline.accounts.models import Role, StaffUser
from tipline.publishing.models import Article, ArticleState, Category, OfficialProfile


@pytest.mark.django_db
def test_the_demo_has_articles_in_every_category_and_language() -> None:
    out = io.StringIO()
    call_command("seed_publishing", stdout=out)
    assert "editor" in out.getvalue()
    assert OfficialProfile.objects.get().texts.count() == 2
    for category in Category.objects.all():
        for language in ("en", "zh-hans"):
            assert (
                Article.objects.filter(category=category, language=language, state=ArticleState.PUBLISHED).count() >= 2
            )
    editor = StaffUser.objects.get(username="editor")
    assert editor.has_role(Role.EDITOR)
    # Every demo article went through review by someone else.
    assert not Article.objects.filter(publisher=editor).exists()


@pytest.mark.django_db
def test_seeding_twice_changes_nothing_and_shows_no_password(client: Client) -> None:
    call_command("seed_publishing", stdout=io.StringIO())
    count = Article.objects.count()
    out = io.StringIO()
    call_command("seed_publishing", stdout=out)
    assert Article.objects.count() == count
    assert "passwords" not in out.getvalue()
    assert client.get("/").status_code == 200
    assert client.get("/zh-hans/articles/case-road-contract-zh/").status_code == 200
