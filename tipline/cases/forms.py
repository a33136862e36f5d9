from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from tipline.accounts.models import Role, StaffUser
from tipline.cases.models import Label, Outcome, ReportLink
from tipline.intake.models import Channel, Report


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any")), *Report.Status.choices])
    channel = forms.ModelChoiceField(
        label=_("Channel"), required=False, queryset=Channel.objects.all(), empty_label=_("Any")
    )
    label = forms.ModelChoiceField(label=_("Label"), required=False, queryset=Label.objects.all(), empty_label=_("Any"))
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    received_from = forms.DateField(
        label=_("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        label=_("Received until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
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
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        handlers = StaffUser.objects.filter(role_grants__role=Role.HANDLER, is_active=True).distinct()
        assignee = self.fields["assignee"]
        assert isinstance(assignee, forms.ChoiceField)  # noqa: S101
        assignee.choices = [("", _("Anyone")), ("me", _("Me")), ("none", _("Nobody"))] + [
            (str(h.pk), str(h)) for h in handlers
        ]


class AssignForm(forms.Form):
    handler = forms.ModelChoiceField(label=_("Handler"), queryset=StaffUser.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = StaffUser.objects.filter(  # type: ignore[attr-defined]
            role_grants__role=Role.HANDLER, is_active=True
        ).distinct()


class ExcludeForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Staff member"), queryset=StaffUser.objects.filter(is_active=True))


class CloseForm(forms.Form):
    outcome = forms.ModelChoiceField(label=_("Outcome"), queryset=Outcome.objects.filter(is_active=True))
    reason = forms.CharField(label=_("Reason"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Never shown to the reporter."),
    )


class LabelsForm(forms.Form):
    labels = forms.ModelMultipleChoiceField(
        label=_("Labels"), queryset=Label.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )


class LinkForm(forms.Form):
    target = forms.CharField(label=_("Other report's reference"), max_length=16)
    kind = forms.ChoiceField(label=_("Kind"), choices=ReportLink.Kind.choices)


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
