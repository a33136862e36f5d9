from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
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
    """Web channels and their questionnaires. Saving publishes a new questionnaire version
    when the questions changed; reports keep the version they were answered on."""

    list_display = ["name", "slug", "kind", "is_active", "ack_days", "feedback_months", "retention_days"]
    list_filter = ["kind", "is_active"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["recipients"]
    inlines = [QuestionInline]
    readonly_fields = ["questionnaire_version"]
    contact_fields = ("email_address", "postal_address", "phone_number", "hours")

    def get_fieldsets(self, request: HttpRequest, obj: Channel | None = None) -> Any:
        """Every field as usual, with the contact details of mailbox and phone channels apart."""
        fields = [name for name in self.get_fields(request, obj) if name not in self.contact_fields]
        contact = {
            "fields": self.contact_fields,
            "description": gettext(
                "Shown on the public “How to report” page: an e-mail or postal address for a mailbox "
                "channel, a phone number and opening hours for a phone channel."
            ),
        }
        return [(None, {"fields": fields}), (gettext("How people reach this channel"), contact)]

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
