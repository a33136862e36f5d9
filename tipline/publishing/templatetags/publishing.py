"""Template tags of the official channel: the verification badge and language-aware links."""

from __future__ import annotations

from typing import Any

from django import template
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode

from tipline.publishing import languages
from tipline.publishing.caching import page_version
from tipline.publishing.models import Category, OfficialProfile

register = template.Library()
_BADGE_SECONDS = 60


def _badge_key(language: str, version: int | None) -> str:
    # A public page keys it by the version it is rendered for; other pages (never kept)
    # share one short-lived entry that the saving process forgets at once.
    return f"publishing:badge:{'live' if version is None else version}:{language}"


def forget_profile() -> None:
    """Forget this process's badge of pages outside the public channel (public pages need
    no forgetting: a change moves the public version, and with it the key)."""
    cache.delete_many([_badge_key(code, None) for code in languages.public_languages()])


def badge_data(language: str) -> dict[str, Any] | None:
    """What the badge shows, cached briefly: it is on every page, reporter pages included."""
    key = _badge_key(language, page_version())
    data: dict[str, Any] | None = cache.get(key)
    if data is None:
        profile = OfficialProfile.objects.prefetch_related("texts").filter(pk=1).first()
        text = profile.text_for(language) if profile else None
        data = {"present": False}
        if profile is not None and text is not None and profile.verified_domain:
            data = {
                "present": True,
                "name": text.name,
                "domain": profile.verified_domain,
                "by": text.verified_by,
                "since": profile.verified_since,
                "url": public_url("publishing:profile", language=language) + "#verification",
            }
        cache.set(key, data, _BADGE_SECONDS)
    return data if data.get("present") else None


@register.inclusion_tag("publishing/badge.html")
def verification_badge() -> dict[str, Any]:
    return {"badge": badge_data(translation.get_language() or languages.default_language())}


def public_url(name: str, *, language: str, **kwargs: Any) -> str:
    """The address of a public page in ``language`` (no prefix for the default language)."""
    if language != languages.default_language():
        kwargs["lang"] = language
    return reverse(name, kwargs=kwargs or None)


@register.simple_tag(takes_context=True)
def purl(context: template.Context, name: str, **kwargs: Any) -> str:
    """``{% purl "publishing:category" slug=c.slug %}`` in the page's language."""
    language = context.get("language") or translation.get_language() or languages.default_language()
    return public_url(name, language=language, **kwargs)


@register.filter
def in_language(value: Any, language: str) -> str:
    """``category|in_language:language``: the name of a category in a language."""
    return str(value.name_in(language))


@register.filter
def hreflang(code: str) -> str:
    return languages.hreflang(code)


@register.filter
def tel_uri(number: str) -> str:
    """``+44 (20) 7946-0000`` → ``tel:+442079460000``: a link phones can dial (RFC 3966)."""
    digits = "".join(character for character in number if "0" <= character <= "9")
    return f"tel:{'+' if number.strip().startswith('+') else ''}{digits}"


@register.simple_tag(takes_context=True)
def reporter_header(context: template.Context) -> dict[str, Any]:
    """What the public header needs on pages outside the public channel (the report form,
    the receipt, the portal), so a reporter sees the one header of the site everywhere.
    The language comes from the visitor's choice there; links to other languages switch
    it and come back to the same address."""
    from tipline.publishing import pages  # noqa: PLC0415 - pages imports this module

    request = context.get("request")
    kept = getattr(request, "reporter_header", None)
    if isinstance(kept, dict):  # the header's three blocks ask once per page
        return kept
    language = translation.get_language() or languages.default_language()
    if language not in languages.public_languages():
        language = languages.default_language()
    path = request.path if request is not None else "/"
    text = pages.profile_text(language)
    links = {
        "home": public_url("publishing:home", language=language),
        "how_to_report": public_url("publishing:how_to_report", language=language),
        "search": public_url("publishing:search", language=language),
        "report": reverse("intake:channels"),
        "portal": reverse("portal:login"),
    }
    categories = [
        (category.name_in(language), public_url("publishing:category", language=language, slug=category.slug))
        for category in Category.objects.prefetch_related("texts")
    ]
    language_links = [
        {
            "hreflang": languages.hreflang(code),
            "name": translation.get_language_info(code)["name_local"],
            "url": reverse("publishing:switch_language", args=[code]) + "?" + urlencode({"next": path}),
            "current": code == language,
        }
        for code in languages.public_languages()
    ]
    header: dict[str, Any] = {"name": text.name if text else "", "links": links, "nav_categories": categories}
    header["language_links"] = language_links
    if request is not None:
        request.reporter_header = header
    return header
