"""The signed-in person's roles in a template, read once a request (the permission
checks' own cache) rather than one query each time a template asks."""

from __future__ import annotations

from django import template

from tipline.accounts.models import StaffUser
from tipline.cases.permissions import roles_of

register = template.Library()


@register.filter
def roles(user: StaffUser) -> frozenset[str]:
    return roles_of(user) if isinstance(user, StaffUser) else frozenset()
