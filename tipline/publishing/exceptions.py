"""Failures of the official channel, each with the message a person sees and an HTTP status."""

from __future__ import annotations

from django.template.defaultfilters import filesizeformat
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class PublishingError(Exception):
    status = 400
    message: str | Promise = _("This could not be done.")

    def user_message(self) -> str:
        return str(self.message)


class NotAnEditor(PublishingError):
    status = 403
    message = _("Only editors can do this.")


class SelfReviewForbidden(PublishingError):
    """Four eyes: whoever wrote any part of an article cannot be the one who publishes it."""

    status = 403
    message = _(
        "You wrote part of this article, so another editor must review and publish it. "
        "Ask a colleague who has not edited it."
    )


class WrongState(PublishingError):
    status = 409

    def __init__(self, state: str, action: str) -> None:
        super().__init__(state, action)
        self.state = state
        self.action = action

    def user_message(self) -> str:
        return str(_("This article cannot be %(action)s while it is %(state)s.")) % {
            "action": self.action,
            "state": self.state,
        }


class ScheduleInPast(PublishingError):
    message = _("Choose a publication time in the future, or publish now.")


class InvalidMarkdown(PublishingError):
    """The text breaks a content rule (an image without a text alternative, a foreign image…)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(problems)
        self.problems = problems

    def user_message(self) -> str:
        return " ".join(self.problems)


class MissingCaseFields(PublishingError):
    def __init__(self, labels: list[str]) -> None:
        super().__init__(labels)
        self.labels = labels

    def user_message(self) -> str:
        return str(_("A typical case needs every structured field. Missing: %(fields)s.")) % {
            "fields": ", ".join(self.labels)
        }


class SlugTaken(PublishingError):
    status = 409
    message = _("Another article already uses this address name. Choose another one.")


class ImageRejected(PublishingError):
    message = _("This file is not an image we can use. Upload a JPEG, PNG, GIF or WebP picture.")


class ImageTooLarge(ImageRejected):
    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit

    def user_message(self) -> str:
        return str(_("The image is larger than the limit of %(limit)s. Make it smaller and upload it again.")) % {
            "limit": filesizeformat(self.limit)
        }


class ImageTooManyPixels(ImageRejected):
    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit

    def user_message(self) -> str:
        return str(
            _("The image has more than %(limit)s million pixels. Reduce its dimensions and upload it again.")
        ) % {"limit": f"{self.limit / 1_000_000:g}"}


class MissingAltText(ImageRejected):
    message = _("Describe the image in a text alternative, for readers who cannot see it.")


class InvalidToken(PublishingError):
    status = 404
    message = _("This link is not valid or has expired. Subscribe again to get a new one.")


class TooManyRequests(PublishingError):
    status = 429
    message = _("Too many requests from your connection. Please wait an hour and try again.")


class EditConflict(PublishingError):
    status = 409
    message = _(
        "Someone saved this article after you opened it. Your changes were not saved: "
        "open it again, look at their revision, and redo your changes."
    )


class RevisionDraftOpen(PublishingError):
    status = 409
    message = _("A new revision of this article is already being written or reviewed. Finish or discard it first.")


class NotTheRevisionWriter(PublishingError):
    status = 403
    message = _("Only the editor who started this revision can change, send or discard it.")


class OwnRevisionReview(PublishingError):
    """Four eyes: the writer of a revision cannot approve, return or reject it."""

    status = 403
    message = _("You wrote this revision, so another editor must review it.")


class ArticleChangedMeanwhile(PublishingError):
    status = 409
    message = _(
        "The published article changed after this revision was started. Discard it and start a new one "
        "from the article as it is now."
    )
