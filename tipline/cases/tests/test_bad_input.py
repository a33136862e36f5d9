"""Bad input to the console gets a form error or a 404, never a 500 or the wrong export."""

from __future__ import annotations

import pytest
from django.test import Client

from tipline.accounts.testing import login_staff
from tipline.audit.models import AuditEntry
from tipline.cases.forms import (
    AssignForm,
    CloseForm,
    ExcludeForm,
    LabelsForm,
    QueueFilterForm,
)
from tipline.conftest import PASSWORD, Setup
from tipline.register import services as register
from tipline.register.models import Label, Report

HUGE_ID = "9" * 25


def _submit(org: Setup) -> Report:
    version = org.channel.current_questionnaire()
    assert version is not None
    return register.create_report(
        channel=org.channel, questionnaire=version, answers={"what": "x", "kind": "Fraud"}
    ).report


def _supervisor() -> Client:
    staff = Client(enforce_csrf_checks=True)
    login_staff(staff, "supervisor", PASSWORD)
    return staff


@pytest.mark.parametrize(
    ("zone", "query"),
    [
        ("America/New_York", "received_to=9999-12-31"),  # west of UTC: the last day ends after year 9999 in UTC
        ("Asia/Tokyo", "received_from=0001-01-01"),  # east of UTC: the first day starts before year 1 in UTC
        ("Asia/Tokyo", "received_from=0001-01-01&received_to=9999-12-31"),
    ],
)
def test_the_first_and_last_dates_filter_the_queue_and_the_export_in_any_time_zone(
    org: Setup, settings: object, zone: str, query: str
) -> None:
    settings.TIME_ZONE = zone  # type: ignore[attr-defined]
    report = _submit(org)
    staff = _supervisor()
    page = staff.get(f"/console/?{query}")
    assert page.status_code == 200
    assert report.reference in page.content.decode()
    export = staff.get(f"/console/export.csv?{query}")
    assert export.status_code == 200
    assert report.reference in b"".join(export.streaming_content).decode()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "query",
    ["received_from=yesterday", "status=lost", f"label={HUGE_ID}", "channel=-1", "assignee=12345"],
)
def test_the_csv_export_refuses_bad_filters_instead_of_exporting_everything(org: Setup, query: str) -> None:
    _submit(org)
    response = _supervisor().get(f"/console/export.csv?{query}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "The filters are not valid" in response.content.decode()
    assert not AuditEntry.objects.filter(action="queue.export_csv").exists()


def test_the_csv_export_without_filters_is_the_whole_queue(org: Setup) -> None:
    report = _submit(org)
    response = _supervisor().get("/console/export.csv")
    assert response.status_code == 200
    assert report.reference in b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", [HUGE_ID, "0", "-3", "1e3", "١٢"])
def test_ids_that_no_row_can_have_are_form_errors(org: Setup, value: str) -> None:
    Label.objects.create(name="urgent")
    assert not LabelsForm({"labels": [value]}).is_valid()
    assert not QueueFilterForm({"channel": value}).is_valid()
    assert not QueueFilterForm({"label": value}).is_valid()
    assert not AssignForm({"handler": value}).is_valid()
    assert not ExcludeForm({"user": value}).is_valid()
    assert not CloseForm({"outcome": value, "reason": "x"}).is_valid()


def test_a_real_id_still_chooses_its_row(org: Setup) -> None:
    label = Label.objects.create(name="urgent")
    form = LabelsForm({"labels": [str(label.pk)]})
    assert form.is_valid()
    assert list(form.cleaned_data["labels"]) == [label]


def test_huge_ids_in_console_pages_are_400_or_404(org: Setup) -> None:
    report = _submit(org)
    staff = _supervisor()
    token = staff.cookies["csrftoken"].value
    detail = f"/console/reports/{report.reference}/"
    assert staff.post(detail + "labels/", {"labels": [HUGE_ID]}, HTTP_X_CSRFTOKEN=token).status_code == 400
    assert staff.post(detail + "assign/", {"handler": HUGE_ID}, HTTP_X_CSRFTOKEN=token).status_code == 400
    assert staff.get(f"/console/?label={HUGE_ID}").status_code == 400
    assert staff.get(f"/console/files/{HUGE_ID}/").status_code == 404
    decide = f"{detail}identity/{HUGE_ID}/decide/"
    assert staff.post(decide, {"decision": "approve"}, HTTP_X_CSRFTOKEN=token).status_code == 404
