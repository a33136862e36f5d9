"""Failures of the register, each with the HTTP status and the message a reporter sees."""

from __future__ import annotations

from django.template.defaultfilters import filesizeformat
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class ReporterError(Exception):
    status = 400
    message: str | Promise = _("Something in what you sent could not be accepted.")
    # True: the fields read before the refusal are worth showing again (a file over a limit),
    # so a view that can show the form with this message gets it instead of a bare error page.
    keeps_form = False

    def user_message(self) -> str:
        return str(self.message)


class InvalidReceipt(ReporterError):
    status = 403
    message = _(
        "That receipt did not open a report. Check the 16 digits and try again. "
        "If you have lost your receipt, you can send a new report."
    )


class TooManyReceiptAttempts(ReporterError):
    status = 429
    message = _("Too many attempts. For your safety, please wait an hour before trying again.")


class TooManySubmissions(ReporterError):
    status = 429
    keeps_form = True
    message = _(
        "Too many reports were sent from your connection in the last hour, so this one was not sent. "
        "Your answers are below: please wait an hour and send again."
    )


class TooManyReplies(ReporterError):
    status = 429
    keeps_form = True
    message = _(
        "Too many messages were sent from your connection in the last hour, so this one was not sent. "
        "Your text is below: please wait an hour and send again."
    )


class AttachmentTooLarge(ReporterError):
    status = 413
    keeps_form = True

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit

    def user_message(self) -> str:
        return str(_("A file is larger than the limit of %(limit)s. Make it smaller or split it, then send again.")) % {
            "limit": filesizeformat(self.limit)
        }


class AttachmentsTooLarge(AttachmentTooLarge):
    def user_message(self) -> str:
        return str(_("Your files together are larger than the limit of %(limit)s. Send fewer or smaller files.")) % {
            "limit": filesizeformat(self.limit)
        }


class TooLargeToRead(AttachmentsTooLarge):
    """A body beyond every limit together, refused before it is read: its fields are lost too."""

    keeps_form = False

    def user_message(self) -> str:
        return str(
            _(
                "What you sent is larger than the limit of %(limit)s for all files together, so it was not read, "
                "and what you typed could not be kept either. Go back with your browser's Back button, which may "
                "still show what you typed, or open the form again, and send fewer or smaller files."
            )
        ) % {"limit": filesizeformat(self.limit)}


class TooManyAttachments(ReporterError):
    status = 413
    keeps_form = True

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.limit = limit

    def user_message(self) -> str:
        return str(_("You can send at most %(limit)d files at a time. Remove some and send again.")) % {
            "limit": self.limit
        }


class FormTooLarge(ReporterError):
    status = 413
    message = _("Your answers are too long to be accepted. Shorten them, or attach a document instead.")


class MalformedSubmission(ReporterError):
    status = 400
    message = _("The form arrived damaged and could not be read. Please go back, reload the page and send it again.")


class InvalidText(ReporterError):
    status = 400
    message = _("Some of your text could not be read (it is not valid UTF-8). Please retype it and send again.")


class NoRoomForFiles(ReporterError):
    """The memory-backed folder where files are cleaned is full (many large uploads at once)."""

    status = 503
    message = _(
        "The server has no room for your files just now, so nothing was sent. "
        "Please try again in a few minutes, or send fewer or smaller files."
    )


class IdentityNotReceivable(ReporterError):
    """An identity was given while no supervisor could receive it (it is sealed to them alone)."""

    status = 409
    message = _(
        "Nobody can receive an identity on this channel just now, so nothing was sent. "
        "Go back and send the report without it, or come back later."
    )


class ChannelClosed(ReporterError):
    status = 404
    message = _("This channel does not exist or no longer accepts reports.")


class SessionExpired(ReporterError):
    status = 403
    message = _("Your session has ended. Log in again with your receipt.")


class ReportDestroyed(ReporterError):
    status = 410
    message = _("This report was destroyed under the retention rules.")


class EmptyMessage(ReporterError):
    status = 400
    message = _("Write a message or add a file.")


class KeyNotHeld(Exception):
    """The person holds no copy of this key, or their copy does not open (never shown as such:
    callers turn it into their own refusal)."""


class NoLongerHeld(Exception):
    """A held report was taken in, discarded or purged meanwhile (a second retry, say)."""


class SourceAlreadyTaken(Exception):
    """What a channel received was already taken in as a report (the same source digest):
    the channel removes it from where it waits, and makes no second report."""


class TranscriptDecided(ReporterError):
    status = 409
    message = _("You already confirmed or corrected this text. Write a message if something is still wrong.")


class NotInReport(ReporterError):
    status = 404
    message = _("This is not part of your report. Go back to your report and try again.")
