"""Feeds, the sitemap and robots.txt: machine-readable views of the channel."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils.encoding import iri_to_uri
from django.utils.translation import gettext as _

from tipline.publishing import feeds, languages, pages
from tipline.publishing.caching import public_page
from tipline.publishing.models import Article, Category, Tag
from tipline.publishing.templatetags.publishing import public_url

Builder = Callable[[feeds.FeedInfo, Sequence[Article]], str]
_FORMATS: dict[str, tuple[Builder, str, str]] = {
    "atom": (feeds.atom, "application/atom+xml; charset=utf-8", "atom.xml"),
    "rss": (feeds.rss, "application/rss+xml; charset=utf-8", "rss.xml"),
    "json": (feeds.json_feed, "application/feed+json; charset=utf-8", "feed.json"),
}


def _feed_response(request: HttpRequest, language: str, kind: str, slug: str | None) -> HttpResponse:
    build, content_type, file_name = _FORMATS[kind]
    root = pages.base_url(request)
    articles = Article.objects.public().in_language(language).for_listing()
    profile = pages.profile_text(language)
    site = profile.name if profile else _("Official channel")
    if slug is None:
        title, subtitle = site, (profile.short_name if profile else "")
        home = public_url("publishing:home", language=language)
        feed_path = public_url("publishing:feed_atom", language=language)
    else:
        section = get_object_or_404(Category.objects.prefetch_related("texts"), slug=slug)
        articles = articles.filter(category=section)
        title = f"{section.name_in(language)} · {site}"
        subtitle = section.description_in(language)
        home = public_url("publishing:category", language=language, slug=slug)
        feed_path = public_url("publishing:category_feed_atom", language=language, slug=slug)
    info = feeds.FeedInfo(
        title=title,
        subtitle=subtitle,
        language=languages.hreflang(language),
        home_url=f"{root}{home}",
        feed_url=f"{root}{feed_path.removesuffix('atom.xml')}{file_name}",
        author=site,
        root=root,
    )
    body = build(info, list(articles[: settings.TIPLINE_FEED_ITEMS]))
    return HttpResponse(body, content_type=content_type)


@public_page()
def feed_atom(request: HttpRequest, language: str, slug: str | None = None) -> HttpResponse:
    return _feed_response(request, language, "atom", slug)


@public_page()
def feed_rss(request: HttpRequest, language: str, slug: str | None = None) -> HttpResponse:
    return _feed_response(request, language, "rss", slug)


@public_page()
def feed_json(request: HttpRequest, language: str, slug: str | None = None) -> HttpResponse:
    return _feed_response(request, language, "json", slug)


def _url(root: str, path: str) -> str:
    return iri_to_uri(f"{root}{path}")


def _entry(root: str, paths: dict[str, str], lastmod: str = "") -> dict[str, object]:
    alternates = [(languages.hreflang(code), _url(root, path)) for code, path in paths.items()]
    return {"locs": [_url(root, path) for path in paths.values()], "alternates": alternates, "lastmod": lastmod}


def _everywhere(name: str, **kwargs: object) -> dict[str, str]:
    return {code: public_url(name, language=code, **kwargs) for code in languages.public_languages()}


@public_page()
def sitemap(request: HttpRequest, language: str) -> HttpResponse:
    root = pages.base_url(request)
    entries = [
        _entry(root, _everywhere(name))
        for name in ("publishing:home", "publishing:profile", "publishing:how_to_report", "publishing:archive")
    ]
    entries += [_entry(root, _everywhere("publishing:category", slug=c.slug)) for c in Category.objects.all()]
    used_tags = Tag.objects.filter(articles__state="published").distinct()
    entries += [_entry(root, _everywhere("publishing:tag", slug=t.slug)) for t in used_tags]
    for article in Article.objects.public().select_related("translation_of").order_by("-published_at"):
        group = {member.language: member.get_absolute_url() for member in article.translation_group()}
        group.setdefault(article.language, article.get_absolute_url())
        entries.append(
            {
                "locs": [_url(root, article.get_absolute_url())],
                "alternates": [(languages.hreflang(c), _url(root, p)) for c, p in group.items()]
                if len(group) > 1
                else [],
                "lastmod": article.published_at.date().isoformat() if article.published_at else "",
            }
        )
    body = render_to_string("publishing/sitemap.xml", {"entries": entries})
    return HttpResponse(body, content_type="application/xml; charset=utf-8")


@public_page()
def robots(request: HttpRequest, language: str) -> HttpResponse:
    body = render_to_string(
        "publishing/robots.txt",
        {
            "sitemap_url": f"{pages.base_url(request)}/sitemap.xml",
            "prefixes": [languages.prefix(code) for code in languages.public_languages()],
        },
    )
    return HttpResponse(body, content_type="text/plain; charset=utf-8")
