"""Who may do what with rewards: one table, checked in services and views alike."""

from __future__ import annotations

from enum import StrEnum

from tipline.accounts.models import Role, StaffUser
from tipline.cases import permissions as case_permissions
from tipline.register.models import Report
from tipline.rewards.exceptions import RewardNotAllowed


class RewardAction(StrEnum):
    PROPOSE = "propose"  # on a report whose content the person may read (handler, supervisor)
    DECIDE = "decide"  # approve or refuse (never one's own proposal)
    VIEW_REWARDS = "view_rewards"  # the list of awards and budgets
    PAY = "pay"  # read bank details, record a payment, the cash desk
    EXPORT_PAYOUTS = "export_payouts"
    OFFER_COMMENDATION = "offer_commendation"


_ROLES: dict[RewardAction, set[str]] = {
    RewardAction.PROPOSE: {Role.HANDLER, Role.SUPERVISOR},
    RewardAction.DECIDE: {Role.SUPERVISOR, Role.REWARD_OFFICER},
    RewardAction.VIEW_REWARDS: {Role.SUPERVISOR, Role.REWARD_OFFICER},
    RewardAction.PAY: {Role.REWARD_OFFICER},
    RewardAction.EXPORT_PAYOUTS: {Role.REWARD_OFFICER},
    RewardAction.OFFER_COMMENDATION: {Role.SUPERVISOR, Role.REWARD_OFFICER},
}


def allowed(user: StaffUser, action: RewardAction, report: Report | None = None) -> bool:
    """True when ``user`` may do ``action`` (on ``report`` where it concerns one)."""
    if not case_permissions.roles_of(user) & _ROLES[action]:
        return False
    if action is RewardAction.PROPOSE:
        return report is not None and case_permissions.allowed(user, case_permissions.Action.READ_CONTENT, report)
    return report is None or not case_permissions.is_excluded(user, report)


def require(user: StaffUser, action: RewardAction, report: Report | None = None) -> None:
    if not allowed(user, action, report):
        raise RewardNotAllowed
