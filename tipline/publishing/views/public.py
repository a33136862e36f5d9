"""Public pages of the official channel. Every one works without JavaScript, is cached
by version (see ``caching``) and lives at one address per language."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tipline import channel_directory
from tipline.local_text import default_language
from tipline.publishing import channel_guide, pages
from tipline.publishing.caching import public_page
from tipline.publishing.models import Article, ArticleState, Category, Tag
from tipline.publishing.models.content import ArticleQuerySet
from tipline.publishing.search import query_words, search
from tipline.publishing.templatetags.publishing import public_url

FEATURED_COUNT = 3


def _listing(language: str) -> ArticleQuerySet:
    return Article.objects.public().in_language(language).for_listing()


@public_page()
def home(request: HttpRequest, language: str, page: int = 1) -> HttpResponse:
    listing = _listing(language)
    featured = list(listing.filter(featured=True)[:FEATURED_COUNT]) if page == 1 else []
    latest = pages.paginate(listing.exclude(pk__in=[a.pk for a in featured]), page)
    text = pages.profile_text(language)
    context = pages.page_context(
        request,
        language=language,
        description=text.introduction if text else "",
        featured=featured,
        page=latest,
        page_base=public_url("publishing:home", language=language),
    )
    return render(request, "publishing/home.html", context)


@public_page()
def category(request: HttpRequest, language: str, slug: str, page: int = 1) -> HttpResponse:
    section = get_object_or_404(Category.objects.prefetch_related("texts"), slug=slug)
    listing = pages.paginate(_listing(language).filter(category=section), page)
    feed = public_url("publishing:category_feed_atom", language=language, slug=slug).removesuffix("atom.xml")
    context = pages.page_context(
        request,
        language=language,
        title=section.name_in(language),
        description=section.description_in(language),
        feed_path=feed,
        category=section,
        category_name=section.name_in(language),
        page=listing,
        page_base=public_url("publishing:category", language=language, slug=slug),
    )
    return render(request, "publishing/category.html", context)


@public_page()
def tag(request: HttpRequest, language: str, slug: str, page: int = 1) -> HttpResponse:
    label = get_object_or_404(Tag, slug=slug)
    listing = pages.paginate(_listing(language).filter(tags=label), page)
    context = pages.page_context(
        request,
        language=language,
        title=_("Tagged “%(tag)s”") % {"tag": label.name},
        tag=label,
        page=listing,
        page_base=public_url("publishing:tag", language=language, slug=slug),
    )
    return render(request, "publishing/tag.html", context)


@public_page()
def article(request: HttpRequest, language: str, slug: str) -> HttpResponse:
    found = Article.objects.select_related("category", "cover", "translation_of").filter(slug=slug).first()
    if found is None or found.state in {ArticleState.DRAFT, ArticleState.IN_REVIEW, ArticleState.SCHEDULED}:
        raise Http404
    if found.state == ArticleState.ARCHIVED:
        context = pages.page_context(request, language=found.language, title=found.title)
        return render(request, "publishing/gone.html", context, status=410)
    if found.language != language:
        return HttpResponsePermanentRedirect(found.get_absolute_url())
    related = _listing(language).filter(category=found.category).exclude(pk=found.pk)[:3]
    alternates = {member.language: member.get_absolute_url() for member in found.translation_group()}
    context = pages.page_context(
        request,
        language=language,
        title=found.title,
        description=found.summary,
        alternates=alternates,
        og_type="article",
        og_image=found.cover.url if found.cover else "",
        article=found,
        category_name=found.category.name_in(language),
        category_url=public_url("publishing:category", language=language, slug=found.category.slug),
        tags=list(found.tags.all()),
        related=related,
    )
    return render(request, "publishing/article.html", context)


@public_page()
def profile(request: HttpRequest, language: str) -> HttpResponse:
    context = pages.page_context(request, language=language, title=_("About us"))
    text = context["profile"]
    if text is None:
        raise Http404
    context["page_description"] = text.introduction[:300]
    return render(request, "publishing/profile.html", context)


@public_page()
def how_to_report(request: HttpRequest, language: str) -> HttpResponse:
    context = pages.page_context(
        request,
        language=language,
        title=_("How to report"),
        description=_("The ways to report wrongdoing to us, and how to stay safe when you do."),
        rows=channel_guide.channel_rows(request, language),
        general_advice=[str(line) for line in channel_guide.GENERAL_ADVICE],
        json_url=public_url("publishing:how_to_report_json", language=language),
    )
    # A channel's text not yet written in this language is shown in the default one, and said so.
    context["untranslated"] = any(
        getattr(row.channel, name).is_fallback for row in context["rows"] for name in channel_directory.PUBLIC_TEXTS
    )
    context["fallback_language"] = default_language()
    return render(request, "publishing/how_to_report.html", context)


def _open_to_other_sites(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Let pages on other sites read the answer (a public, read-only list without cookies).
    Outside the public-page caching, so answers from its caches carry the headers too."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        response["Cross-Origin-Resource-Policy"] = "cross-origin"
        return response

    return wrapper


@_open_to_other_sites
@public_page()
def how_to_report_json(request: HttpRequest, language: str) -> HttpResponse:
    document = channel_guide.directory_document(request, language)
    body = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return HttpResponse(body.encode(), content_type="application/json; charset=utf-8")


@public_page()
def archive(request: HttpRequest, language: str) -> HttpResponse:
    months = (
        Article.objects.public()
        .in_language(language)
        .annotate(month=TruncMonth("published_at"))
        .values("month")
        .annotate(count=Count("id"))
        .order_by("-month")
    )
    entries = [
        (row["month"], row["count"], _month_url(language, row["month"])) for row in months if row["month"] is not None
    ]
    context = pages.page_context(request, language=language, title=_("Archive"), months=entries)
    return render(request, "publishing/archive.html", context)


def _month_url(language: str, month: datetime) -> str:
    local = timezone.localtime(month) if timezone.is_aware(month) else month
    return public_url("publishing:archive_month", language=language, year=local.year, month=local.month)


@public_page()
def archive_month(request: HttpRequest, language: str, year: int, month: int, page: int = 1) -> HttpResponse:
    if not 1900 < year < 3000:
        raise Http404
    start = timezone.make_aware(datetime(year, month, 1))
    end = timezone.make_aware(datetime(year + month // 12, month % 12 + 1, 1))
    listing = pages.paginate(_listing(language).filter(published_at__gte=start, published_at__lt=end), page)
    context = pages.page_context(
        request,
        language=language,
        title=date_format(start, "YEAR_MONTH_FORMAT"),
        month=start,
        page=listing,
        page_base=public_url("publishing:archive_month", language=language, year=year, month=month),
    )
    return render(request, "publishing/archive_month.html", context)


@public_page(server_cache=False, uses_query=True)
def search_view(request: HttpRequest, language: str) -> HttpResponse:
    query = request.GET.get("q", "").replace("\x00", "")[:10_000]
    words = query_words(query)
    results = search(Article.objects.public().for_listing(), query) if words else Article.objects.none()
    page = Paginator(results, settings.TIPLINE_PUBLIC_PAGE_SIZE).get_page(request.GET.get("page"))
    context = pages.page_context(
        request,
        language=language,
        title=_("Search"),
        query=query[: settings.TIPLINE_SEARCH_MAX_CHARS],
        searched=bool(query.strip()),
        usable=bool(words),
        page=page,
    )
    return render(request, "publishing/search.html", context)
