"""Public pages are cheap to serve: ETag, Last-Modified, 304, Cache-Control, invalidated on publish."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import F
from django.test import Client
from django.utils import timezone

from tipline.accounts import services as accounts
from tipline.accounts.models import Organisation
from tipline.publishing import services
from tipline.publishing.models import ProfileText, PublicState
from tipline.publishing.tests.conftest import Editors, publish

PAGES = ["/", "/zh-hans/", "/category/news/", "/about/", "/how-to-report/", "/archive/", "/feeds/atom.xml"]


@pytest.fixture
def article_url(editors: Editors) -> str:
    words = services.ProfileWords(name="Office", short_name="O", introduction="I", contact="C")
    services.update_profile(
        by=editors.author, verified_domain="o.example", verified_since=None, logo=None, words={"en": words}
    )
    return publish(editors).get_absolute_url()


@pytest.mark.parametrize("url", PAGES)
def test_a_public_page_can_be_cached_by_anyone(article_url: str, client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("public, max-age=")
    assert response["ETag"].startswith('"')
    assert "Last-Modified" in response
    assert not response.cookies, "a shared cache must not store anyone's cookie"
    assert "Cookie" not in response.get("Vary", "")


def test_a_matching_etag_gets_a_304_without_a_body(article_url: str, client: Client) -> None:
    first = client.get(article_url)
    again = client.get(article_url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == first["Cache-Control"]


def test_if_modified_since_gets_a_304(article_url: str, client: Client) -> None:
    first = client.get("/feeds/atom.xml")
    again = client.get("/feeds/atom.xml", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert again.status_code == 304


def test_a_stale_etag_gets_the_page(article_url: str, client: Client) -> None:
    assert client.get(article_url, HTTP_IF_NONE_MATCH='"stale-1"').status_code == 200


def test_publishing_changes_every_etag_and_the_cached_pages(editors: Editors, article_url: str, client: Client) -> None:
    before = {url: client.get(url) for url in ("/", "/feeds/atom.xml", article_url)}
    publish(editors, title="Fresh news from the council")
    for url, old in before.items():
        new = client.get(url, HTTP_IF_NONE_MATCH=old["ETag"])
        assert new.status_code == 200, url
        assert new["ETag"] != old["ETag"]
    assert "Fresh news from the council" in client.get("/").content.decode()
    assert "Fresh news from the council" in client.get("/feeds/atom.xml").content.decode()


def test_archiving_invalidates_too(editors: Editors, article_url: str, client: Client) -> None:
    from tipline.publishing.models import Article

    etag = client.get("/")["ETag"]
    services.archive_article(article=Article.objects.get(), by=editors.author)
    assert client.get("/", HTTP_IF_NONE_MATCH=etag).status_code == 200
    assert "Council audit" not in client.get("/").content.decode()


def test_a_cached_page_is_served_from_the_cache(
    article_url: str, client: Client, django_assert_max_num_queries: object
) -> None:
    etag = client.get(article_url)["ETag"]
    with django_assert_max_num_queries(1):  # type: ignore[operator]
        assert client.get(article_url).status_code == 200
    with django_assert_max_num_queries(1):  # type: ignore[operator]
        assert client.get(article_url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_staff_flash_message_never_lands_in_a_cached_page(editors: Editors, article_url: str) -> None:
    from tipline.publishing.tests.conftest import login

    staff = login(Client(enforce_csrf_checks=True), editors.author)
    staff.get("/editor/")  # flash messages may be waiting in this session
    staff_page = staff.get("/").content.decode()
    reader_page = Client().get("/").content.decode()
    assert 'class="flash"' not in staff_page
    assert staff_page == reader_page


def test_forms_and_staff_pages_are_never_cached(editors: Editors, client: Client) -> None:
    assert client.get("/subscribe/")["Cache-Control"] == "no-store"
    assert client.get("/editor/")["Cache-Control"] == "no-store"


def test_a_post_to_a_public_page_is_refused(article_url: str, client: Client) -> None:
    assert client.post("/").status_code in {403, 405}


def _another_process_commits_a_new_version() -> None:
    """A change saved by another server process, seen from this one: the version row moves,
    and nothing this process remembers is forgotten (its memos live in its own memory)."""
    PublicState.objects.filter(pk=1).update(version=F("version") + 1, changed_at=timezone.now())


def _badge(page: str) -> str:
    badge = page[page.index('class="verified-badge"') :]
    return badge[: badge.index("</div>")]


def test_a_new_public_version_never_shows_a_badge_remembered_for_an_older_one(article_url: str, client: Client) -> None:
    assert "Verified official channel of Office" in _badge(client.get(article_url).content.decode())
    ProfileText.objects.filter(language="en").update(name="Renamed Office")
    _another_process_commits_a_new_version()
    for url in (article_url, "/", "/about/"):
        badge = _badge(client.get(url).content.decode())
        assert "Renamed Office" in badge, url
        assert "of Office" not in badge, url


def test_a_new_public_version_never_shows_a_site_name_remembered_for_an_older_one(db: None, client: Client) -> None:
    accounts.create_organisation(name="Old Integrity Office")
    assert "Old Integrity Office" in client.get("/").content.decode()
    Organisation.objects.filter(pk=1).update(name="New Integrity Office")
    _another_process_commits_a_new_version()
    page = client.get("/").content.decode()
    assert "New Integrity Office" in page
    assert "Old Integrity Office" not in page


def test_the_saving_process_shows_the_new_badge_on_the_report_pages_at_once(
    editors: Editors, article_url: str, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    assert "Verified official channel of Office" in client.get("/portal/").content.decode()
    words = services.ProfileWords(name="Renamed Office", short_name="R", introduction="I", contact="C")
    with django_capture_on_commit_callbacks(execute=True):
        services.update_profile(
            by=editors.author, verified_domain="o.example", verified_since=None, logo=None, words={"en": words}
        )
    assert "Verified official channel of Renamed Office" in client.get("/portal/").content.decode()
