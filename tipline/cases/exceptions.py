from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class CaseError(Exception):
    status = 400
    message = _("This action could not be done.")

    def user_message(self) -> str:
        return str(self.message)


class NoAccess(CaseError):
    """This staff member holds no key to this report."""

    status = 403
    message = _("You have no access to this report.")


class KeptFromDiscarding(CaseError):
    """A held report that must not be destroyed by one click: on legal hold, or its reporter
    has written since (with the receipt the mail's sender was sent)."""

    status = 409
    message = _(
        "This report can no longer be discarded: it is on legal hold, or its reporter has written since it was "
        "held, and their words would be destroyed with it. Handle it as any report (download the original to "
        "read the mail), or lift the hold first."
    )


class NotAllowed(CaseError):
    """The staff member's roles do not allow this action."""

    status = 403
    message = _("Your role does not allow this action.")


class KeyLocked(CaseError):
    """The session holds no unlocked private key (logged out or expired)."""

    status = 403
    message = _("Your account holds no key to read reports. Ask an administrator.")


class InvalidTransition(CaseError):
    status = 409
    message = _("The report is not in a state that allows this. Reload the page to see its current state.")


class AssigneeNotEligible(CaseError):
    status = 400
    message = _("This person cannot be given this report: they are not an active handler, or they are excluded.")


class RequesterNotEligible(CaseError):
    """The handler who asked for the identity may no longer receive it."""

    status = 409
    message = _(
        "The person who asked can no longer receive the identity: they are no longer an active handler "
        "of this report, or they were excluded from it. Refuse the request instead."
    )


class ReasonRequired(CaseError):
    status = 400
    message = _("Write the reason.")


class NoIdentity(CaseError):
    status = 400
    message = _("The reporter did not give an identity.")


class ReportPurged(CaseError):
    status = 410
    message = _("This report was destroyed under the retention rules; only its statistics remain.")


class NoSupervisorLeft(CaseError):
    status = 409
    message = _(
        "Without this person no other supervisor could act on this report (none holds its key "
        "and is free to). Ask an administrator to make another supervisor first."
    )
