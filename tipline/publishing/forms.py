"""Forms of the official channel: the reader's subscription form and the editors' forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tipline.publishing.models import Article, ArticleState, Category, Frequency, Image
from tipline.publishing.models.content import CASE_FIELDS


def _fits_primary_key(queryset: QuerySet[Any] | None, value: object) -> bool:
    """Whether a submitted number is inside the range of the primary key's column.

    A larger one makes SQLite raise ``OverflowError`` in ``pk__in`` (a 500) and other
    databases refuse the query, so it is refused as a choice before any query is made.
    Anything that is not a whole number is left to Django's own checks."""
    if queryset is None or not isinstance(value, str | int):
        return True
    try:
        number = int(str(value).strip())
    except ValueError:
        return True
    operations = connections[queryset.db].ops
    internal_type = queryset.model._meta.pk.get_internal_type()
    if internal_type not in operations.integer_field_ranges:
        return True
    low, high = operations.integer_field_range(internal_type)
    return (low is None or number >= low) and (high is None or number <= high)


class BoundedModelChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A model choice that refuses a key no row could have, with the field's own message."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and not self.to_field_name and not _fits_primary_key(self.queryset, value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Several model choices; a key no row could have is refused as an invalid choice."""

    def clean(self, value: Any) -> Any:
        if isinstance(value, list | tuple) and not self.to_field_name:
            for key in value:
                if not _fits_primary_key(self.queryset, key):
                    raise ValidationError(
                        self.error_messages["invalid_choice"], code="invalid_choice", params={"value": key}
                    )
        return super().clean(value)


class CategoryChoiceField(BoundedModelMultipleChoiceField):
    def __init__(self, *args: Any, language: str, **kwargs: Any) -> None:
        self.language = language
        super().__init__(*args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name_in(self.language))


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=_("Your e-mail address"), max_length=254)
    frequency = forms.ChoiceField(
        label=_("How often"), choices=Frequency.choices, initial=Frequency.IMMEDIATE, widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, language: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["categories"] = CategoryChoiceField(
            queryset=Category.objects.prefetch_related("texts"),
            language=language,
            required=False,
            label=_("Categories"),
            help_text=_("Leave all unticked to receive every category."),
            widget=forms.CheckboxSelectMultiple,
            error_messages={
                "invalid_choice": _("Tick only categories from the list."),
                "invalid_pk_value": _("Tick only categories from the list."),
            },
        )


class TypicalCaseFields(forms.Form):
    """The typical-case fields (one Markdown text per part of a case), for the article form
    and the form of a revision of a published article."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, label in CASE_FIELDS:
            self.fields[f"case_{key}"] = forms.CharField(
                label=label,
                max_length=20_000,
                required=False,
                widget=forms.Textarea(attrs={"rows": 4}),
                help_text=_("Markdown. Required for articles in a typical-cases category."),
            )

    def case_fields(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(f"case_{key}", "") for key, _label in CASE_FIELDS}

    @property
    def case_field_names(self) -> list[str]:
        return [f"case_{key}" for key, _label in CASE_FIELDS]


class ArticleForm(TypicalCaseFields):
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.CharField(
        label=_("Address name"),
        max_length=120,
        required=False,
        help_text=_("The last part of the article's address. Leave empty to make it from the title."),
    )
    language = forms.ChoiceField(label=_("Language of the article"), choices=settings.LANGUAGES)
    category = BoundedModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.all(),
        error_messages={"invalid_choice": _("Choose a category from the list.")},
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=600,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One or two sentences, shown in lists, feeds and e-mails."),
    )
    body = forms.CharField(
        label=_("Text"),
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text=_(
            "Markdown. Show an uploaded image with ![text alternative](image:NUMBER); the text alternative is required."
        ),
    )
    tags = forms.CharField(
        label=_("Tags"), max_length=500, required=False, help_text=_("Separated by commas, at most 10.")
    )
    cover = BoundedModelChoiceField(
        label=_("Cover image"),
        queryset=Image.objects.all(),
        required=False,
        error_messages={"invalid_choice": _("Choose an image from the image library.")},
    )
    cover_alt = forms.CharField(
        label=_("Text alternative of the cover"),
        max_length=300,
        required=False,
        help_text=_("In the article's language. Leave empty to use the image's own text alternative."),
    )
    featured = forms.BooleanField(label=_("Feature on the home page"), required=False)
    translation_of = BoundedModelChoiceField(
        label=_("Translation of"),
        queryset=Article.objects.exclude(state=ArticleState.ARCHIVED).order_by("-created_at"),
        required=False,
        help_text=_("Link this article to the same article in another language."),
        error_messages={"invalid_choice": _("Choose an article from the list.")},
    )
    note = forms.CharField(label=_("What changed (for the revision history)"), max_length=200, required=False)
    base_revision = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


class ReviewForm(forms.Form):
    ACTIONS = [("publish", _("Publish now")), ("schedule", _("Schedule")), ("return", _("Send back to the writer"))]
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.HiddenInput)
    publish_at = forms.DateTimeField(
        label=_("Publication time"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    note = forms.CharField(
        label=_("Note to the writer"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["publish_at"].help_text = _("In the time zone %(zone)s.") % {"zone": settings.TIME_ZONE}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "schedule":
            when = data.get("publish_at")
            if when is None:
                self.add_error("publish_at", _("Choose when to publish."))
            elif when <= timezone.now():
                self.add_error("publish_at", _("Choose a time in the future, or publish now."))
        return data


class ImageForm(forms.Form):
    image = forms.FileField(label=_("Image file"), help_text=_("JPEG, PNG, GIF or WebP."))
    alt_text = forms.CharField(
        label=_("Text alternative"),
        max_length=300,
        help_text=_("What the image shows, for readers who cannot see it. Required."),
    )


class ProfileForm(forms.Form):
    verified_domain = forms.CharField(label=_("Verified domain"), max_length=253, required=False)
    verified_since = forms.DateField(
        label=_("Verified since"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    logo = BoundedModelChoiceField(
        label=_("Logo"),
        queryset=Image.objects.all(),
        required=False,
        error_messages={"invalid_choice": _("Choose an image from the image library.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, name in settings.LANGUAGES:
            suffix = code.replace("-", "_")
            self.fields[f"name_{suffix}"] = forms.CharField(label=_("Name (%s)") % name, max_length=200)
            self.fields[f"short_name_{suffix}"] = forms.CharField(label=_("Short name (%s)") % name, max_length=60)
            self.fields[f"verified_by_{suffix}"] = forms.CharField(
                label=_("Verified by (%s)") % name, max_length=200, required=False
            )
            self.fields[f"introduction_{suffix}"] = forms.CharField(
                label=_("Introduction (%s)") % name, widget=forms.Textarea(attrs={"rows": 5}), max_length=20_000
            )
            self.fields[f"contact_{suffix}"] = forms.CharField(
                label=_("Contact (%s)") % name, widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
            )


class RevisionForm(TypicalCaseFields):
    """The words of a new revision of a published article (the rest of the article stays)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(label=_("Summary"), max_length=600, widget=forms.Textarea(attrs={"rows": 3}))
    body = forms.CharField(
        label=_("Text"),
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text=_(
            "Markdown. Show an uploaded image with ![text alternative](image:NUMBER); the text alternative is required."
        ),
    )
    note = forms.CharField(label=_("What changed and why (for the revision history)"), max_length=200, required=False)


class RevisionActionForm(forms.Form):
    """A step in a revision's review; the note goes to its writer."""

    ACTIONS = [
        ("submit", _("Send for review")),
        ("discard", _("Discard")),
        ("approve", _("Approve and publish")),
        ("return", _("Send back to the writer")),
        ("reject", _("Reject")),
    ]
    action = forms.ChoiceField(choices=ACTIONS, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note to the writer"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
