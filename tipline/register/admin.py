from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten
from django.db import models
from django.http import HttpRequest
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tipline.local_text import LocalText, other_languages
from tipline.register import services
from tipline.register.models import Channel, Question


def _translation_name(field: str, language: str) -> str:
    return f"{field}_{language.replace('-', '_')}"


def translations_form(model: type[Channel] | type[Question]) -> type[forms.ModelForm[Any]]:
    """A model form with one field per translated text and other site language (``name_zh_hans``),
    kept in the record's ``translations``; an empty one means "not yet translated"."""
    declared: dict[str, Any] = {}
    lazy_names = dict(settings.LANGUAGES)  # labels in the admin's language, not the one at start
    for language, _name in other_languages():
        for field in model.TRANSLATED:
            model_field = model._meta.get_field(field)
            assert isinstance(model_field, models.Field)  # noqa: S101 - a column of the model
            form_field = model_field.formfield(required=False)
            assert form_field is not None  # noqa: S101 - text columns have form fields
            form_field.label = format_lazy("{} ({})", model_field.verbose_name, lazy_names.get(language, language))
            form_field.help_text = ""
            declared[_translation_name(field, language)] = form_field

    def init(self: forms.ModelForm[Any], *args: Any, **kwargs: Any) -> None:
        forms.ModelForm.__init__(self, *args, **kwargs)
        translations = self.instance.translations or {}
        for language, _language_name in other_languages():
            for field in model.TRANSLATED:
                self.initial.setdefault(
                    _translation_name(field, language), translations.get(language, {}).get(field, "")
                )

    def clean(self: forms.ModelForm[Any]) -> dict[str, Any]:
        cleaned = forms.ModelForm.clean(self) or {}
        # Set before the model's own checks run (a translation's choices must match).
        self.instance.translations = {
            language: {field: str(cleaned.get(_translation_name(field, language)) or "") for field in model.TRANSLATED}
            for language, _language_name in other_languages()
        }
        return cleaned

    meta = type("Meta", (), {"model": model, "exclude": ["translations"]})
    attrs = {**declared, "Meta": meta, "__init__": init, "clean": clean}
    return type(f"{model.__name__}TranslationsForm", (forms.ModelForm,), attrs)


def translation_fields(model: type[Channel] | type[Question], language: str) -> tuple[str, ...]:
    return tuple(_translation_name(field, language) for field in model.TRANSLATED)


class QuestionInline(admin.StackedInline[Question, Channel]):
    """A question in the default language, then in each other site language (what is left
    empty is shown in the default language, marked as not yet translated)."""

    model = Question
    form = translations_form(Question)
    extra = 1

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        main = (
            ("order", "key", "field_type", "required", "hide_unanswered", "max_length"),
            "label",
            "help_text",
            "choices",
        )
        per_language = [
            (name, {"fields": translation_fields(Question, code), "classes": ["translation"]})
            for code, name in other_languages()
        ]
        return [(None, {"fields": main}), *per_language]


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin[Channel]):
    """Channels of every kind and their questionnaires. Saving publishes a new questionnaire
    version when the questions changed; reports keep the version they were answered on.
    The same rules apply to ``tipline channel`` (the model's ``clean``)."""

    list_display = ["name", "slug", "kind", "is_active", "ack_days", "feedback_months", "retention_days"]
    list_filter = ["kind", "is_active"]
    form = translations_form(Channel)
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["recipients"]
    inlines = [QuestionInline]
    readonly_fields = ["questionnaire_version", "mail_read_at", "mailbox_problem", "mail_problem_since"]
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
        ("mail_read_at", "mail_problem_since"),
        "mailbox_problem",
    )

    @admin.display(description=_("mailbox problem"))
    def mailbox_problem(self, obj: Channel) -> LocalText:
        return obj.local_mail_problem

    def get_fieldsets(self, request: HttpRequest, obj: Channel | None = None) -> Any:
        """The fields every channel has, then those of each kind, each group with what it is for."""
        languages = [(code, name, translation_fields(Channel, code)) for code, name in other_languages()]
        translated = {field for _code, _name, fields in languages for field in fields}
        grouped = set(flatten([*self.web_fields, *self.contact_fields, *self.mailbox_fields])) | translated
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
            *[
                (
                    gettext("In %(language)s") % {"language": name},
                    {
                        "fields": fields,
                        "description": gettext(
                            "The name, description, privacy notice, opening hours and postal address for readers "
                            "in this language. "
                            "Left empty, the default language's text is shown, marked as not yet translated."
                        ),
                    },
                )
                for _code, name, fields in languages
            ],
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
