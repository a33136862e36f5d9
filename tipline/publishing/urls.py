"""Public addresses. Every page exists once per language: at the root for the default
language, under ``/<code>/`` for the others (``/zh-hans/articles/…``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import URLPattern, path, register_converter

from tipline.publishing import languages
from tipline.publishing.images import NAME_PATTERN
from tipline.publishing.views import feeds, files, public, subscriptions


class ImageNameConverter:
    regex = NAME_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(languages.PrefixedLanguageConverter, "publang")
register_converter(languages.UnicodeSlugConverter, "uslug")
register_converter(languages.YearConverter, "yyyy")
register_converter(languages.MonthConverter, "mm")
register_converter(ImageNameConverter, "imagename")


def localised(route: str, view: Callable[..., Any], name: str) -> list[URLPattern]:
    """The route at the root and under each other language's prefix, under one name."""
    return [path(route, view, name=name), path(f"<publang:lang>/{route}", view, name=name)]


def paged(route: str, view: Callable[..., Any], name: str) -> list[URLPattern]:
    return localised(route, view, name) + localised(f"{route}page/<int:page>/", view, name)


app_name = "publishing"
urlpatterns = [
    *paged("", public.home, "home"),
    *localised("articles/<uslug:slug>/", public.article, "article"),
    *paged("category/<slug:slug>/", public.category, "category"),
    *paged("tags/<uslug:slug>/", public.tag, "tag"),
    *localised("archive/", public.archive, "archive"),
    *paged("archive/<yyyy:year>/<mm:month>/", public.archive_month, "archive_month"),
    *localised("about/", public.profile, "profile"),
    *localised("how-to-report/", public.how_to_report, "how_to_report"),
    *localised("how-to-report.json", public.how_to_report_json, "how_to_report_json"),
    *localised("search/", public.search_view, "search"),
    *localised("feeds/atom.xml", feeds.feed_atom, "feed_atom"),
    *localised("feeds/rss.xml", feeds.feed_rss, "feed_rss"),
    *localised("feeds/feed.json", feeds.feed_json, "feed_json"),
    *localised("feeds/<slug:slug>/atom.xml", feeds.feed_atom, "category_feed_atom"),
    *localised("feeds/<slug:slug>/rss.xml", feeds.feed_rss, "category_feed_rss"),
    *localised("feeds/<slug:slug>/feed.json", feeds.feed_json, "category_feed_json"),
    *localised("subscribe/", subscriptions.subscribe, "subscribe"),
    *localised("subscribe/sent/", subscriptions.subscribe_sent, "subscribe_sent"),
    *localised("subscriptions/confirm/<str:token>/", subscriptions.confirm, "confirm"),
    *localised("subscriptions/unsubscribe/<str:token>/", subscriptions.unsubscribe, "unsubscribe"),
    path("sitemap.xml", feeds.sitemap, name="sitemap"),
    path("robots.txt", feeds.robots, name="robots"),
    path("media/publishing/<imagename:name>", files.media, name="media"),
    path("language/<str:code>/", files.switch_language, name="switch_language"),
]
