"""The queue's rows and filter form as written in Python (for speed): every cell, escaping,
names of channels and assignees read once, the select widget's markup, and the two forms
of the label filter (counting and paging) agreeing."""

from __future__ import annotations

import copy
import datetime as dt
import re

import pytest
from django import forms
from django.utils import timezone, translation

from tipline.accounts.models import Role
from tipline.cases import selectors
from tipline.cases.forms import (
    PlainCheckboxInput,
    PlainDateInput,
    PlainSelect,
    QueueFilterForm,
    field_group,
)
from tipline.cases.models import Exclusion, ReportSeen
from tipline.cases.tests.test_unread import _row, _staff, _submit
from tipline.conftest import Setup
from tipline.register.models import Label, Message, Report


def _cells(row: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)


def test_every_cell_of_a_row(org: Setup) -> None:
    report = _submit(org).report
    org.channel.name = "Tips & <leads>"
    org.channel.save()
    report.labels.add(Label.objects.create(name="<b>press</b>"), Label.objects.create(name="urgent"))
    # Noon three days from today, whatever the time now: "3 days left" counts calendar days,
    # so "now + 3 days and an hour" read 4 in the last hour of a day.
    due = timezone.make_aware(dt.datetime.combine(timezone.localdate() + dt.timedelta(days=3), dt.time(12)))
    Report.objects.filter(pk=report.pk).update(
        status=Report.Status.IN_PROGRESS, assignee=org.handler, next_due_at=due, acknowledged_at=timezone.now()
    )
    Message.objects.create(report=report, from_staff=False, body_ct=b"x")
    row = _row(_staff("supervisor").get("/console/").content.decode(), report.reference)
    reference, subject, channel, labels, status, received, deadline, assignee = _cells(row)
    assert f'<a href="/console/reports/{report.reference}/">{report.reference}</a>' in reference
    assert "mark-unread" in reference  # the supervisor never opened it
    assert "reporter replied" in reference  # the reporter wrote last
    assert subject == "Fraud"
    assert channel == "Tips &amp; &lt;leads&gt;"
    assert labels == '<span class="tag">&lt;b&gt;press&lt;/b&gt;</span> <span class="tag">urgent</span> '
    assert status == "In progress"
    assert received == timezone.localtime(report.created_at).strftime("%Y-%m-%d")
    assert "3 days left · feedback" in deadline
    assert f'title="{timezone.localtime(due).strftime("%Y-%m-%d %H:%M")}"' in deadline
    assert assignee == str(org.handler)
    assert 'class="unread"' in row


def test_a_row_with_nothing_assigned_labelled_or_due(org: Setup) -> None:
    report = _submit(org).report
    Report.objects.filter(pk=report.pk).update(status=Report.Status.CLOSED, next_due_at=None)
    ReportSeen.objects.create(report=report, user=org.supervisor, seen_at=timezone.now())
    row = _row(_staff("supervisor").get("/console/").content.decode(), report.reference)
    _, _, _, labels, status, _, deadline, assignee = _cells(row)
    assert labels == '<span class="muted">—</span>'
    assert status == "Closed"
    assert deadline == '<span class="muted">—</span>'
    assert assignee == "—"
    assert "mark-unread" not in row
    assert 'class=""' in row


def test_an_assignee_who_is_no_longer_a_handler_is_still_named(org: Setup) -> None:
    report = _submit(org).report
    Report.objects.filter(pk=report.pk).update(assignee=org.other_handler)
    org.other_handler.role_grants.filter(role=Role.HANDLER).delete()
    form = QueueFilterForm()
    assert org.other_handler.pk not in form.handler_names
    names = selectors.row_names([Report.objects.get(pk=report.pk)], channels={}, staff=form.handler_names)
    assert names.staff[org.other_handler.pk] == str(org.other_handler)
    row = _row(_staff("supervisor").get("/console/").content.decode(), report.reference)
    assert _cells(row)[-1] == str(org.other_handler)


def _normalised(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize("value", ["", "2", "none", None, "not a choice"])
def test_the_plain_select_writes_what_django_s_template_writes(value: str | None) -> None:
    choices = [("", "Any"), ("2", "Tips & <leads>"), ("none", 'Nobody "at all"')]
    attrs = {"id": "id_pick", "required": True, "disabled": False, "data-x": "a&b"}
    plain = PlainSelect(choices=choices).render("pick", value, attrs=attrs)
    django = forms.Select(choices=choices).render("pick", value, attrs=attrs)
    assert _normalised(plain) == _normalised(django)


def test_option_groups_fall_back_to_django_s_template() -> None:
    choices = [("Channels", [("1", "Web"), ("2", "Post")])]
    plain = PlainSelect(choices=choices).render("pick", "2")
    assert _normalised(plain) == _normalised(forms.Select(choices=choices).render("pick", "2"))


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"status": "new", "overdue": "on", "received_from": "2024-01-02", "received_to": "2024-02-29", "sort": "due"},
        {"received_from": "not a date", "status": "nonsense", "assignee": "none"},
        {"received_to": '"><script>', "label": "999999", "overdue": "off"},
    ],
)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_filter_fields_are_written_as_django_s_field_template_writes_them(
    org: Setup, data: dict[str, str], language: str
) -> None:
    Label.objects.create(name="Tips & <leads>")
    with translation.override(language):
        form = QueueFilterForm(data or None)
        form.is_valid()
        for field in form:
            assert str(field_group(field)) == str(field.as_field_group()), field.name
            plain, django = str(field.as_widget()), str(field.as_widget(widget=_django_widget(field)))
            assert _normalised(plain) == _normalised(django), field.name  # a select's blank lines aside


def _django_widget(field: forms.BoundField) -> forms.Widget:
    """The same widget as Django's own class, rendering through its templates."""
    plain = field.field.widget
    django_class = {PlainSelect: forms.Select, PlainDateInput: forms.DateInput, PlainCheckboxInput: forms.CheckboxInput}
    widget = copy.deepcopy(plain)
    widget.__class__ = django_class.get(type(plain), type(plain))
    return widget


def test_a_field_with_help_text_or_a_template_widget_is_left_to_django() -> None:
    class Other(forms.Form):
        note = forms.CharField(label="Note", help_text="Say <why>", widget=PlainDateInput)
        name = forms.CharField(label="Name?")

    form = Other({"note": "", "name": "x"})
    form.is_valid()
    for field in form:
        assert str(field_group(field)) == str(field.as_field_group())


def test_the_label_filter_counts_what_it_lists(org: Setup) -> None:
    labelled = [_submit(org).report for _ in range(3)]
    _submit(org)
    urgent = Label.objects.create(name="urgent")
    for report in labelled:
        report.labels.add(urgent)
    labelled[0].labels.add(Label.objects.create(name="press"))  # two labels: still one row, counted once
    for user in (org.supervisor, org.handler, org.other_handler):
        visible = selectors.visible_reports(user)
        listed = list(selectors.filter_queue(visible, {"label": urgent.pk}, user=user))
        counted = selectors.bounded_count(
            selectors.filter_queue(visible, {"label": urgent.pk}, user=user, counting=True)
        )
        assert counted == (len(listed), False)
    assert selectors.bounded_count(
        selectors.filter_queue(selectors.visible_reports(org.supervisor), {"label": urgent}, user=org.supervisor)
    ) == (3, False)


def test_the_filter_form_refuses_a_channel_or_label_that_is_not_there(org: Setup) -> None:
    label = Label.objects.create(name="urgent")
    form = QueueFilterForm({"label": str(label.pk), "channel": str(org.channel.pk)})
    assert form.is_valid()
    assert (form.cleaned_data["label"], form.cleaned_data["channel"]) == (label.pk, org.channel.pk)
    missing = QueueFilterForm({"label": str(label.pk + 100)})
    assert not missing.is_valid()
    assert "label" in missing.errors


def test_the_counts_in_one_query_are_the_counts_one_by_one(org: Setup) -> None:
    made = [_submit(org).report for _ in range(4)]
    Report.objects.filter(pk=made[0].pk).update(next_due_at=timezone.now() - dt.timedelta(days=1))
    Report.objects.filter(pk=made[1].pk).update(
        status=Report.Status.IN_PROGRESS, retaliation_reported_at=timezone.now()
    )
    for user in (org.supervisor, org.handler, org.other_handler, org.admin):
        visible = selectors.visible_reports(user)
        matching = selectors.filter_queue(visible, {"status": Report.Status.NEW}, user=user, counting=True)
        counts, total, more = selectors.queue_tally(visible, matching)
        assert counts == selectors.QueueCounts(
            new=visible.filter(status=Report.Status.NEW).count(),
            overdue=visible.overdue().count(),
            retaliation=visible.filter(retaliation_reported_at__isnull=False).count(),
        )
        assert (total, more) == (matching.count(), False)
    nothing = Report.objects.none()
    assert selectors.queue_tally(nothing, nothing) == (selectors.QueueCounts(0, 0, 0), 0, False)
    assert selectors.queue_counts(selectors.visible_reports(org.supervisor)).new == 3


def test_past_the_limit_the_count_says_more(org: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(3):
        _submit(org)
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 2)
    visible = selectors.visible_reports(org.supervisor)
    assert selectors.bounded_count(visible) == (2, True)
    assert selectors.queue_tally(visible, visible)[1:] == (2, True)


def test_the_key_checked_row_by_row_gives_the_same_reports(org: Setup) -> None:
    made = [_submit(org).report for _ in range(3)]
    Exclusion.objects.create(report=made[0], user=org.supervisor)
    for user in (org.supervisor, org.handler, org.other_handler, org.admin):
        one_way = set(selectors.visible_reports(user).values_list("pk", flat=True))
        other_way = set(selectors.visible_reports(user, few=True).values_list("pk", flat=True))
        assert one_way == other_way, user
        assert selectors.queue_counts(selectors.visible_reports(user, few=True)) == selectors.queue_counts(
            selectors.visible_reports(user)
        )
    assert len(set(selectors.visible_reports(org.handler, few=True).values_list("pk", flat=True))) == 3
    assert not selectors.visible_reports(org.other_handler, few=True).exists()
