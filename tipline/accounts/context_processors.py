from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest

from tipline.accounts.models import Organisation


def site(request: HttpRequest) -> dict[str, str]:
    """The organisation's name for every page (cached briefly; one row)."""
    del request
    name = cache.get("site_name")
    if name is None:
        organisation = Organisation.objects.only("name").filter(pk=1).first()
        name = organisation.name if organisation else "Tipline"
        cache.set("site_name", name, 60)
    return {"site_name": name}
