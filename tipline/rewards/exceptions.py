"""Failures of rewards, commendations and proofs, each with its HTTP status and message."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class RewardError(Exception):
    status = 400
    message: str | Promise = _("This could not be done.")

    def user_message(self) -> str:
        return str(self.message)


class RewardNotAllowed(RewardError):
    status = 403
    message = _("Your role does not allow this action.")


class RewardNotFound(RewardError):
    status = 404
    message = _("There is no such award.")


class NoPolicy(RewardError):
    status = 409
    message = _("This report's channel offers no rewards.")


class NotEligible(RewardError):
    status = 409
    message = _(
        "This report cannot be rewarded: it must be closed with an outcome the channel's policy rewards, "
        "and be the first useful report on its matter."
    )


class AmountOutOfRange(RewardError):
    message = _("The amount is outside the range the channel's policy allows.")


class OverBudget(RewardError):
    status = 409
    message = _("This award would exceed the channel's budget for the year.")


class AlreadyRewarded(RewardError):
    status = 409
    message = _("This report already has an award. It must be refused or declined before another is proposed.")


class OwnProposal(RewardError):
    status = 403
    message = _("You proposed this award: someone else must approve it.")


class AlreadyApproved(RewardError):
    status = 409
    message = _("You have already approved this award: a second approver must be someone else.")


class WrongState(RewardError):
    status = 409
    message = _("This award is not in a state that allows this. Reload the page to see its current state.")


class AwardExpired(RewardError):
    status = 410
    message = _("This award was not claimed in time and has expired.")


class AwardRefused(RewardError):
    status = 409
    message = _("This award was refused and cannot be claimed.")


class MethodNotOffered(RewardError):
    message = _("Choose a payout method this channel offers.")


class MissingPayoutDetails(RewardError):
    message = _("Fill in what the payout method needs.")


class NoRewardOfficer(RewardError):
    status = 503
    message = _("Bank details cannot be received now. Choose another method or try again later.")


class InvalidClaimCode(RewardError):
    status = 403
    message = _("That claim code and PIN do not match an award waiting for cash collection.")


class TooManyClaimAttempts(RewardError):
    status = 429
    message = _("Too many wrong claim codes or PINs. Wait an hour before trying again.")


class KeyLocked(RewardError):
    status = 403
    message = _("Your session holds no unlocked key. Log in again.")


class NoCommendation(RewardError):
    status = 404
    message = _("There is no commendation for your report.")


class InvalidStatement(RewardError):
    message = _("This is not a proof of reporting issued by this institution, or it was changed.")
