from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest

from tipline.accounts.models import Organisation
from tipline.publishing.caching import page_version

SITE_NAME_SECONDS = 60


def _site_name_key(version: int | None) -> str:
    # A public page keys the name by the public version it is rendered for, so a page of
    # a new version (kept by the page cache and the fast path) never shows a name another
    # process remembered earlier. Other pages, never kept, share one short-lived entry.
    return f"site_name:{'live' if version is None else version}"


def forget_site_name() -> None:
    """Forget this process's name for pages outside the public channel."""
    cache.delete(_site_name_key(None))


def site(request: HttpRequest) -> dict[str, str]:
    """The organisation's name for every page (cached briefly; one row)."""
    del request
    key = _site_name_key(page_version())
    name = cache.get(key)
    if name is None:
        organisation = Organisation.objects.only("name").filter(pk=1).first()
        name = organisation.name if organisation else "Tipline"
        cache.set(key, name, SITE_NAME_SECONDS)
    return {"site_name": name}
