from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tipline.register import services
from tipline.register.models import Channel, Question


class QuestionInline(admin.TabularInline[Question, Channel]):
    model = Question
    extra = 1
    fields = ["order", "key", "field_type", "label", "help_text", "required", "max_length", "choices"]


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin[Channel]):
    """Channels of every kind and their questionnaires. Saving publishes a new questionnaire
    version when the questions changed; reports keep the version they were answered on.
    The same rules apply to ``tipline channel`` (the model's ``clean``)."""

    list_display = ["name", "slug", "kind", "is_active", "ack_days", "feedback_months", "retention_days"]
    list_filter = ["kind", "is_active"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["recipients"]
    inlines = [QuestionInline]
    readonly_fields = ["questionnaire_version"]
    # The fields of one kind of channel apart from the common ones, in the order shown (a
    # tuple is one line).
    web_fields = ("privacy_notice",)
    contact_fields = ("email_address", ("phone_number", "hours"), "postal_address", "languages")
    mailbox_fields = (
        "imap_url",
        "imap_user",
        ("imap_password_env", "imap_password_file"),
        ("imap_folder", "imap_done_folder"),
        "mail_reply",
        "mail_answers",
    )

    def get_fieldsets(self, request: HttpRequest, obj: Channel | None = None) -> Any:
        """The fields every channel has, then those of each kind, each group with what it is for."""
        grouped = set(flatten([*self.web_fields, *self.contact_fields, *self.mailbox_fields]))
        common = [name for name in self.get_fields(request, obj) if name not in grouped]
        web = {
            "fields": self.web_fields,
            "description": gettext("Web channels only: shown above the form."),
        }
        contact = {
            "fields": self.contact_fields,
            "description": gettext(
                "Shown on the public “How to report” page: the e-mail or postal address of a mailbox channel, "
                "the number and opening hours of a phone channel, the postal address of a post channel, and "
                "how to ask for a meeting (a number, an address; where and how in the description). "
                "Languages: those people can use with the channel, for any kind."
            ),
        }
        mailbox = {
            "fields": self.mailbox_fields,
            "description": gettext(
                "Mailbox channels: the mailbox that tipline worker reads. The password is never stored here: "
                "give the environment variable or the file that holds it."
            ),
        }
        return [
            (None, {"fields": common}),
            (gettext("Web form"), web),
            (gettext("How people reach this channel"), contact),
            (gettext("Mailbox: reading mail over IMAP"), mailbox),
        ]

    @admin.display(description=_("published questionnaire"))
    def questionnaire_version(self, channel: Channel) -> str:
        current = channel.current_questionnaire() if channel.pk else None
        if current is None:
            return gettext("none yet")
        return gettext("version %(number)d") % {"number": current.number}

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        channel = form.instance
        before = services.recipient_names(channel=channel) if change else frozenset()
        super().save_related(request, form, formsets, change)
        services.record_recipient_change(channel=channel, before=before, by=request.user)
        version = services.publish_questionnaire(channel=channel)
        messages.info(
            request, gettext("The form now uses questionnaire version %(number)d.") % {"number": version.number}
        )
