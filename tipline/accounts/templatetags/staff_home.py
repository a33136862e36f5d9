"""``{% staff_home as home %}``: the link to the signed-in staff member's own work."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from tipline.accounts.landing import landing

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_home(context: dict[str, Any]) -> dict[str, str]:
    work = landing(context["request"].user)
    return {"url": reverse(work.url_name), "label": str(work.label)}
