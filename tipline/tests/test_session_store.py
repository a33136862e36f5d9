"""Database sessions without the query that asks whether a fresh random key is taken."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tipline import session_vault


@pytest.mark.django_db
def test_a_new_session_is_one_insert_and_no_lookup() -> None:
    store = session_vault.SessionStore()
    store["x"] = 1
    with CaptureQueriesContext(connection) as queries:
        store.save()
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert "SELECT" not in statements, statements
    assert "INSERT" in statements
    assert Session.objects.filter(session_key=store.session_key).exists()


@pytest.mark.django_db
def test_a_key_already_taken_is_drawn_again(monkeypatch: pytest.MonkeyPatch) -> None:
    taken = session_vault.SessionStore()
    taken["owner"] = "first"
    taken.save()
    draws = iter([taken.session_key, "k" * 32])
    monkeypatch.setattr(session_vault, "get_random_string", lambda *_: next(draws))
    second = session_vault.SessionStore()
    second["owner"] = "second"
    second.save()
    assert second.session_key == "k" * 32
    assert session_vault.SessionStore(taken.session_key)["owner"] == "first", "the first session is untouched"


def test_the_app_uses_this_store(settings: object) -> None:
    assert settings.SESSION_ENGINE == "tipline.session_vault"  # type: ignore[attr-defined]
