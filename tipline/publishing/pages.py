"""What every public page needs besides its own content: language alternates, links,
navigation, canonical address and Open Graph data. Also the static-export switch:
in a static copy, links to dynamic pages (report, search, subscribe) point to the
live instance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import iri_to_uri
from django.utils.http import urlencode

from tipline.accounts.models import Organisation
from tipline.publishing import languages
from tipline.publishing.models import Category, OfficialProfile, ProfileText
from tipline.publishing.templatetags.publishing import public_url

# Open Graph wants language_TERRITORY; Django's script subtags do not fit it.
OG_LOCALES = {"zh-hans": "zh_CN", "zh-hant": "zh_TW", "en": "en_GB"}


@dataclass(frozen=True)
class ExportOptions:
    """Set on a request by ``export-site``: where the copy will be served and where the live site is."""

    base_url: str
    live_url: str


def export_options(request: HttpRequest) -> ExportOptions | None:
    options = getattr(request, "publishing_export", None)
    return options if isinstance(options, ExportOptions) else None


def base_url(request: HttpRequest) -> str:
    """Where this copy of the channel lives: canonical addresses, feeds and the sitemap use it."""
    options = export_options(request)
    return options.base_url if options else str(settings.TIPLINE_SITE_URL)


def live(request: HttpRequest, path: str) -> str:
    """A dynamic page: relative on the live site, absolute on the live site from a static copy."""
    options = export_options(request)
    return f"{options.live_url}{path}" if options else path


def strip_language(path: str, language: str) -> str:
    head = languages.prefix(language)
    return path[len(head) :] if head and path.startswith(head + "/") else path


def same_page_in(path: str, language: str, target: str) -> str:
    return languages.prefix(target) + strip_language(path, language)


def _language_links(request: HttpRequest, language: str, alternates: dict[str, str] | None) -> list[dict[str, Any]]:
    links = []
    for code in languages.public_languages():
        path = (alternates or {}).get(code) if alternates is not None else same_page_in(request.path, language, code)
        if path is None:
            path = public_url("publishing:home", language=code)
        links.append(
            {
                "code": code,
                "hreflang": languages.hreflang(code),
                "name": translation.get_language_info(code)["name_local"],
                "url": path,
                "current": code == language,
                "has_page": alternates is None or code in alternates,
            }
        )
    return links


def report_link(request: HttpRequest, language: str, target: str) -> str:
    # Through the language switch, so the report pages open in the reader's language.
    return live(request, f"/language/{language}/?{urlencode({'next': target})}")


def paginate(items: QuerySet[Any], number: int) -> Page[Any]:
    """A page of a listing; a page past the end is a 404 (page 1 always exists)."""
    paginator = Paginator(items, settings.TIPLINE_PUBLIC_PAGE_SIZE, allow_empty_first_page=True)
    try:
        return paginator.page(number)
    except (EmptyPage, PageNotAnInteger):
        raise Http404 from None


def profile_text(language: str) -> ProfileText | None:
    profile = OfficialProfile.objects.select_related("logo").prefetch_related("texts").filter(pk=1).first()
    return profile.text_for(language) if profile else None


def organisation_name(language: str) -> str:
    """The organisation's name in ``language``: its public profile's name there (or in the
    default language), else the account's name, which has one language only."""
    profile = profile_text(language)
    if profile is not None and profile.name:
        return profile.name
    organisation = Organisation.objects.only("name").filter(pk=1).first()
    return organisation.name if organisation else ""


def page_context(
    request: HttpRequest,
    *,
    language: str,
    title: str = "",
    description: str = "",
    alternates: dict[str, str] | None = None,
    og_type: str = "website",
    og_image: str = "",
    feed_path: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """The shared context of a public page. ``alternates`` maps language to address when
    the page does not exist in every language (an article and its translations)."""
    root = base_url(request)
    canonical_path = request.path
    categories = list(Category.objects.prefetch_related("texts"))
    feed_base = feed_path or public_url("publishing:feed_atom", language=language).removesuffix("atom.xml")
    language_links = _language_links(request, language, alternates)
    return {
        "language": language,
        "hreflang": languages.hreflang(language),
        "export": export_options(request) is not None,
        "messages": (),  # a cached page must never carry someone's flash message
        "page_title": title,
        "page_description": " ".join(description.split())[:300],
        "canonical_url": iri_to_uri(f"{root}{canonical_path}"),
        "og_type": og_type,
        "og_image": f"{root}{og_image}" if og_image.startswith("/") else og_image,
        "og_locale": OG_LOCALES.get(language, language.replace("-", "_")),
        "language_links": language_links,
        "alternate_urls": [
            (link["hreflang"], iri_to_uri(f"{root}{link['url']}")) for link in language_links if link["has_page"]
        ],
        "nav_categories": [
            (category.name_in(language), public_url("publishing:category", language=language, slug=category.slug))
            for category in categories
        ],
        "profile": profile_text(language),
        "links": {
            "home": public_url("publishing:home", language=language),
            "report": report_link(request, language, "/report/"),
            "portal": report_link(request, language, "/portal/"),
            "search": live(request, public_url("publishing:search", language=language)),
            "subscribe": live(request, public_url("publishing:subscribe", language=language)),
            "how_to_report": public_url("publishing:how_to_report", language=language),
            "profile": public_url("publishing:profile", language=language),
            "archive": public_url("publishing:archive", language=language),
            "atom": f"{feed_base}atom.xml",
            "rss": f"{feed_base}rss.xml",
            "json": f"{feed_base}feed.json",
            # What protects reporters, checked by anyone: a signed proof of reporting, a
            # commendation's code, and the roll of honour where the institution keeps one.
            "check_proof": report_link(request, language, reverse("rewards:verify_proof")),
            "check_commendation": report_link(request, language, reverse("rewards:verify")),
            "honour": report_link(request, language, reverse("rewards:honour"))
            if settings.TIPLINE_ROLL_OF_HONOUR
            else "",
        },
        **extra,
    }
