"""Atom 1.0, RSS 2.0 and JSON Feed 1.1 of the published articles, site-wide or per category."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.encoding import iri_to_uri
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed
from django.utils.html import escape
from django.utils.xmlutils import SimplerXMLGenerator

from tipline.publishing.models import Article

_LOCAL_LINK = re.compile(r'(\b(?:href|src)=")/(?!/)')


def absolutise(fragment: str, root: str) -> str:
    """Feed readers show content away from our site: make our links absolute."""
    return _LOCAL_LINK.sub(lambda m: f"{m.group(1)}{root}/", fragment)


@dataclass(frozen=True)
class FeedInfo:
    title: str
    subtitle: str
    language: str
    home_url: str
    feed_url: str
    author: str
    root: str


class AtomWithContent(Atom1Feed):
    def add_item_elements(self, handler: SimplerXMLGenerator, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        handler.addQuickElement("content", item["content_html"], {"type": "html"})


class RssWithContent(Rss201rev2Feed):
    def rss_attributes(self) -> dict[str, str]:
        return {**super().rss_attributes(), "xmlns:content": "http://purl.org/rss/1.0/modules/content/"}

    def add_item_elements(self, handler: SimplerXMLGenerator, item: dict[str, Any]) -> None:
        super().add_item_elements(handler, item)
        handler.addQuickElement("content:encoded", item["content_html"])


def _content(article: Article, root: str) -> str:
    parts = []
    if article.cover is not None:
        parts.append(f'<p><img src="{article.cover.url}" alt="{escape(article.cover_text)}"></p>')
    parts.append(article.body_html)
    for heading, section in article.case_sections():
        parts.append(f"<h2>{escape(heading)}</h2>{section}")
    return absolutise("".join(parts), root)


def _build(feed: SyndicationFeed, info: FeedInfo, articles: Sequence[Article]) -> str:
    for article in articles:
        url = iri_to_uri(f"{info.root}{article.get_absolute_url()}")
        feed.add_item(
            title=article.title,
            link=url,
            description=escape(article.summary),
            unique_id=url,
            unique_id_is_permalink=True,
            pubdate=article.published_at,
            updateddate=article.published_at,
            author_name=info.author,
            categories=[tag.name for tag in article.tags.all()],
            content_html=_content(article, info.root),
        )
    return feed.writeString("utf-8")


def _feed(cls: type[SyndicationFeed], info: FeedInfo) -> SyndicationFeed:
    return cls(
        title=info.title,
        link=info.home_url,
        description=info.subtitle or info.title,
        subtitle=info.subtitle or None,
        language=info.language,
        feed_url=info.feed_url,
        feed_guid=info.feed_url,
        author_name=info.author,
    )


def atom(info: FeedInfo, articles: Sequence[Article]) -> str:
    return _build(_feed(AtomWithContent, info), info, articles)


def rss(info: FeedInfo, articles: Sequence[Article]) -> str:
    return _build(_feed(RssWithContent, info), info, articles)


def json_feed(info: FeedInfo, articles: Sequence[Article]) -> str:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1)."""
    items = []
    for article in articles:
        url = iri_to_uri(f"{info.root}{article.get_absolute_url()}")
        item: dict[str, Any] = {
            "id": url,
            "url": url,
            "title": article.title,
            "summary": article.summary,
            "content_html": _content(article, info.root),
            "date_published": article.published_at.isoformat() if article.published_at else None,
            "language": article.language,
            "tags": [tag.name for tag in article.tags.all()],
        }
        if article.cover is not None:
            item["image"] = f"{info.root}{article.cover.url}"
        items.append(item)
    document = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": info.title,
        "home_page_url": info.home_url,
        "feed_url": info.feed_url,
        "description": info.subtitle,
        "language": info.language,
        "authors": [{"name": info.author}],
        "items": items,
    }
    return json.dumps(document, ensure_ascii=False, indent=1)
