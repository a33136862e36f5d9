from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tipline.accounts.models import Role, StaffUser
from tipline.cases.markup import attributes, esc
from tipline.cases.models import AlertPreference
from tipline.register.models import Channel, Label, Outcome, Report, ReportLink

# The largest id a database row can have (a signed 64-bit integer on SQLite and PostgreSQL).
MAX_ID = 2**63 - 1


def _is_id(value: Any) -> bool:
    if isinstance(value, models.Model):
        return True
    text = str(value).strip()
    return 0 < len(text) <= len(str(MAX_ID)) and text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID


class IdChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A choice of one row by id; anything that cannot be an id is an invalid choice
    before any query (SQLite fails on integers beyond 64 bits)."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values and not _is_id(value):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """Several rows by id, with the same check as :class:`IdChoiceField` on every value."""

    def clean(self, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            for item in value:
                if not _is_id(item):
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": item}
                    )
        return super().clean(value)


class PlainSelect(forms.Select):
    """A ``<select>`` written in Python: the markup of Django's ``select.html`` (no option
    groups), without a template rendered for every option. The queue's filter form has
    about forty options, and rendering them through templates took about 4 ms a page."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        options: list[str] = []
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:  # not used by this widget's fields; Django's own template has them
                return super().render(name, value, attrs, renderer)
            options.extend(
                f'\n  <option value="{esc(str(option["value"]))}"{attributes(option["attrs"])}>'
                f"{esc(option['label'])}</option>"
                for option in group_choices
            )
        return mark_safe(  # noqa: S308  # every value escaped
            f'<select name="{esc(widget["name"])}"{attributes(widget["attrs"])}>{"".join(options)}\n</select>'
        )


class _PlainInput:
    """An ``<input>`` written in Python: the markup of Django's ``input.html``."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]  # type: ignore[attr-defined]
        shown = widget["value"]
        value_attribute = f' value="{esc(str(shown))}"' if shown is not None else ""
        return mark_safe(  # noqa: S308  # every value escaped
            f'<input type="{esc(widget["type"])}" name="{esc(widget["name"])}"{value_attribute}'
            f"{attributes(widget['attrs'])}>"
        )


class PlainDateInput(_PlainInput, forms.DateInput):
    pass


class PlainCheckboxInput(_PlainInput, forms.CheckboxInput):
    pass


PLAIN_WIDGETS = (PlainSelect, PlainDateInput, PlainCheckboxInput)
# The endings after which Django adds no label suffix; Django's catalogue translates them
# (a variable, so that makemessages does not copy the text into ours).
LABEL_ENDINGS = ":?.!"


def field_group(field: forms.BoundField) -> SafeString:
    """What ``field.as_field_group()`` writes (Django's ``field.html``), in Python for a field
    with a plain widget, no help text and no error; any other field through Django's template.
    The queue's filter form writes seven on every page (about 1.5 ms through templates)."""
    form = field.form
    if (
        field.errors
        or field.help_text
        or field.use_fieldset
        or not field.label
        or not isinstance(field.field.widget, PLAIN_WIDGETS)
        or field.field.label_suffix is not None
        or getattr(form, "required_css_class", None)
        or "id" in field.field.widget.attrs
        or not field.auto_id
    ):
        return field.as_field_group()
    label = str(field.label)
    suffix = form.label_suffix if label[-1] not in gettext(LABEL_ENDINGS) else ""
    return format_html(
        '<label for="{}">{}{}</label>\n\n\n\n{}', field.id_for_label, label, suffix or "", field.as_widget()
    )


class QueueFilterForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "size": 12}),
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *Report.Status.choices], widget=PlainSelect
    )
    # Ids among the rows read once as the form is made (see __init__): a model choice field
    # reads its rows again to render them (through a server-side cursor on PostgreSQL,
    # four round trips) and once more to check the choice.
    channel = forms.TypedChoiceField(
        label=_("Channel"), required=False, coerce=int, empty_value=None, widget=PlainSelect
    )
    label = forms.TypedChoiceField(label=_("Label"), required=False, coerce=int, empty_value=None, widget=PlainSelect)
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False, widget=PlainSelect)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False, widget=PlainCheckboxInput)
    held = forms.BooleanField(label=_("Held only (not taken in whole)"), required=False, widget=PlainCheckboxInput)
    received_from = forms.DateField(
        label=_("Received from"), required=False, widget=PlainDateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        label=_("Received until"), required=False, widget=PlainDateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("newest", _("Newest first")),
            ("oldest", _("Oldest first")),
            ("due", _("Next deadline (open reports)")),
            ("status", _("Status")),
        ],
        widget=PlainSelect,
    )

    def clean_reference(self) -> str:
        """A reference as staff type or paste it: case, spaces and dashes do not matter."""
        text = "".join(str(self.cleaned_data.get("reference") or "").split()).replace("-", "").upper()
        if text and not (len(text) <= 16 and text.isascii() and text.isalnum()):
            raise ValidationError(_("A reference has only letters and digits, such as K7QMX2PLRT."), code="invalid")
        return text

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        handlers = (
            StaffUser.objects.filter(role_grants__role=Role.HANDLER, is_active=True)
            .only("username", "display_name")
            .distinct()
        )
        assignee = self.fields["assignee"]
        assert isinstance(assignee, forms.ChoiceField)  # noqa: S101
        # What the queue's rows name too: read once for the choices and the rows.
        self.handler_names = {handler.pk: str(handler) for handler in handlers}
        # Each named in the staff member's language where the channel has its name in it.
        self.channel_names = {channel.pk: str(channel) for channel in Channel.objects.only("name", "translations")}
        assignee.choices = [("", _("Anyone")), ("me", _("Me")), ("none", _("Nobody"))] + [
            (str(pk), name) for pk, name in self.handler_names.items()
        ]
        for name, rows in (("channel", self.channel_names), ("label", dict(Label.objects.values_list("pk", "name")))):
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)  # noqa: S101
            field.choices = [("", _("Any")), *((str(pk), row_name) for pk, row_name in rows.items())]


class AssignForm(forms.Form):
    handler = IdChoiceField(label=_("Handler"), queryset=StaffUser.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = StaffUser.objects.filter(  # type: ignore[attr-defined]
            role_grants__role=Role.HANDLER, is_active=True
        ).distinct()


class ExcludeForm(forms.Form):
    user = IdChoiceField(label=_("Staff member"), queryset=StaffUser.objects.filter(is_active=True))


class RestoreAccessForm(forms.Form):
    user = IdChoiceField(label=_("Staff member"), queryset=StaffUser.objects.filter(is_active=True))
    reason = forms.CharField(
        label=_("Why the exclusion is lifted"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded in the audit trail, which supervisors read."),
    )


class CloseForm(forms.Form):
    outcome = IdChoiceField(label=_("Outcome"), queryset=Outcome.objects.filter(is_active=True))
    reason = forms.CharField(label=_("Reason"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Never shown to the reporter."),
    )


class LabelsForm(forms.Form):
    labels = IdMultipleChoiceField(
        label=_("Labels"), queryset=Label.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )


class LinkForm(forms.Form):
    target = forms.CharField(label=_("Other report's reference"), max_length=16)
    # "Sent twice" links are made by Tipline itself, from the form page's token.
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[(k.value, k.label) for k in (ReportLink.Kind.RELATED, ReportLink.Kind.DUPLICATE)]
    )


class DiscardForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand: the report and its original are destroyed, and this cannot be undone"),
        error_messages={"required": _("Tick the box to confirm that the report is to be destroyed.")},
    )


class DisclosureRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Why you need the reporter's identity"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("A supervisor decides. If approved, the reporter is shown this reason."),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("refuse", _("Refuse"))])


class HoldForm(forms.Form):
    hold = forms.BooleanField(required=False)


class AlertPreferenceForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("How you hear about new work"), choices=AlertPreference.Mode.choices, widget=forms.RadioSelect
    )
