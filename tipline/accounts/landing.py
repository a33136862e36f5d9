"""Where a staff member's work is: the page they land on after log-in, and the first link
of the account pages (someone who reads no reports is never sent to the report queue)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tipline.accounts.models import Role


@dataclass(frozen=True)
class Landing:
    url_name: str
    label: str | Promise


_QUEUE = Landing("cases:queue", _("Reports"))
# For someone who works on no reports, their own work, in this order.
_OTHER_WORK = (
    (Role.CALL_TAKER, Landing("calls:home", _("Calls, letters and meetings"))),
    (Role.REWARD_OFFICER, Landing("rewards:overview", _("Rewards"))),
    (Role.EDITOR, Landing("publishing_editor:dashboard", _("Editor"))),
)


def landing(user: object) -> Landing:
    roles: frozenset[str] = getattr(user, "roles", frozenset())
    if roles & {Role.ADMIN, Role.SUPERVISOR, Role.HANDLER}:
        return _QUEUE
    return next((work for role, work in _OTHER_WORK if role in roles), _QUEUE)
