"""Atom 1.0, RSS 2.0 and JSON Feed 1.1, site-wide and per category, in both languages."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser
import pytest
from django.test import Client

from tipline.publishing.tests.conftest import CASE, Editors, category, publish


@pytest.fixture
def articles(editors: Editors) -> None:
    publish(editors, title="News & notes <for> everyone", body='Text with [a link](/about/) and "quotes".')
    publish(editors, title="A split contract", category=category("typical-cases"), case_fields=CASE)
    publish(editors, title="中文新闻", language="zh-hans", body="正文内容。")


XML_FEEDS = [
    ("/feeds/atom.xml", "atom10", 2),
    ("/feeds/rss.xml", "rss20", 2),
    ("/zh-hans/feeds/atom.xml", "atom10", 1),
    ("/zh-hans/feeds/rss.xml", "rss20", 1),
    ("/feeds/typical-cases/atom.xml", "atom10", 1),
    ("/feeds/typical-cases/rss.xml", "rss20", 1),
    ("/feeds/news/atom.xml", "atom10", 1),
    ("/zh-hans/feeds/education/rss.xml", "rss20", 0),
]


@pytest.mark.parametrize(("url", "version", "count"), XML_FEEDS)
def test_xml_feeds_parse_without_any_error(articles: None, client: Client, url: str, version: str, count: int) -> None:
    response = client.get(url)
    assert response.status_code == 200
    parsed = feedparser.parse(response.content, response_headers={"content-type": response["Content-Type"]})
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == version
    assert len(parsed.entries) == count
    for entry in parsed.entries:
        assert entry.link.startswith("https://tips.example.org/")
        assert entry.id == entry.link
        assert entry.published_parsed is not None


def test_the_atom_feed_carries_the_full_text_with_absolute_links(articles: None, client: Client) -> None:
    parsed = feedparser.parse(client.get("/feeds/atom.xml").content)
    entry = next(e for e in parsed.entries if e.title == "News & notes <for> everyone")
    html = entry.content[0].value
    assert 'href="https://tips.example.org/about/"' in html
    assert "&quot;quotes&quot;" in html or '"quotes"' in html
    assert parsed.feed.language == "en"
    assert any(link.rel == "self" for link in parsed.feed.links)


def test_a_typical_case_feed_entry_has_its_sections(articles: None, client: Client) -> None:
    parsed = feedparser.parse(client.get("/feeds/typical-cases/atom.xml").content)
    assert "What the law says" in parsed.entries[0].content[0].value


def _rfc3339(value: str) -> None:
    datetime.fromisoformat(value)


def _check_json_feed(document: dict[str, Any]) -> None:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1): feedparser 6 does not read it, so check it here."""
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(document["title"], str)
    assert document["title"]
    for key in ("home_page_url", "feed_url"):
        assert urlsplit(document[key]).scheme == "https"
    assert isinstance(document["items"], list)
    assert all(isinstance(author["name"], str) for author in document["authors"])
    ids = [item["id"] for item in document["items"]]
    assert len(ids) == len(set(ids))
    for item in document["items"]:
        assert isinstance(item["id"], str)
        assert item["id"]
        assert "content_html" in item or "content_text" in item
        assert urlsplit(item["url"]).scheme == "https"
        _rfc3339(item["date_published"])
        assert isinstance(item.get("tags", []), list)
        allowed = {
            "id", "url", "external_url", "title", "content_html", "content_text", "summary", "image",
            "banner_image", "date_published", "date_modified", "authors", "tags", "language", "attachments",
        }  # fmt: skip
        assert set(item) <= allowed


@pytest.mark.parametrize(
    ("url", "count"), [("/feeds/feed.json", 2), ("/zh-hans/feeds/feed.json", 1), ("/feeds/news/feed.json", 1)]
)
def test_the_json_feed_follows_version_1_1(articles: None, client: Client, url: str, count: int) -> None:
    response = client.get(url)
    assert response["Content-Type"].startswith("application/feed+json")
    document = json.loads(response.content)
    _check_json_feed(document)
    assert len(document["items"]) == count


def test_the_feeds_are_advertised_on_every_page(articles: None, client: Client) -> None:
    page = client.get("/category/news/").content.decode()
    assert 'type="application/atom+xml"' in page
    assert 'href="/feeds/news/atom.xml"' in page
    assert 'href="/feeds/news/feed.json"' in page


def test_an_unknown_category_has_no_feed(articles: None, client: Client) -> None:
    assert client.get("/feeds/nothing/atom.xml").status_code == 404
    assert client.get("/zh-hans/feeds/nothing/feed.json").status_code == 404


def test_a_feed_is_limited_to_the_latest_items(editors: Editors, client: Client, settings: Any) -> None:
    settings.TIPLINE_FEED_ITEMS = 3
    for number in range(5):
        publish(editors, title=f"Item {number}")
    parsed = feedparser.parse(client.get("/feeds/rss.xml").content)
    assert [entry.title for entry in parsed.entries] == ["Item 4", "Item 3", "Item 2"]
