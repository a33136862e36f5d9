from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import translation

from tipline.publishing.caching import page_version
from tipline.publishing.pages import organisation_name

SITE_NAME_SECONDS = 60


def _site_name_key(version: int | None, language: str) -> str:
    # A public page keys the name by the public version it is rendered for, so a page of
    # a new version (kept by the page cache and the fast path) never shows a name another
    # process remembered earlier. Other pages, never kept, share one short-lived entry
    # per language.
    return f"site_name:{'live' if version is None else version}:{language}"


def forget_site_name() -> None:
    """Forget this process's names for pages outside the public channel."""
    cache.delete_many([_site_name_key(None, language) for language, _name in settings.LANGUAGES])


def site(request: HttpRequest) -> dict[str, str]:
    """The organisation's name in the page's language for every page (cached briefly)."""
    del request
    language = translation.get_language() or settings.LANGUAGE_CODE
    key = _site_name_key(page_version(), language)
    name = cache.get(key)
    if name is None:
        name = organisation_name(language) or "Tipline"
        cache.set(key, name, SITE_NAME_SECONDS)
    return {"site_name": name}
