"""Staff never see the exact moment a reporter acted (issue 11): days and hours only."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from django.test import Client

from tipline.accounts.testing import login_staff
from tipline.conftest import PASSWORD, Setup
from tipline.register import services as register
from tipline.register.models import Message, Report


def _report_with_reply(org: Setup) -> Report:
    version = org.channel.current_questionnaire()
    assert version is not None
    submission = register.create_report(
        channel=org.channel, questionnaire=version, answers={"what": "x", "kind": "Fraud"}
    )
    register.post_message(report=submission.report, report_key=submission.report_key, body="More detail")
    moment = datetime(2026, 11, 3, 14, 37, 52, 123456, tzinfo=UTC)
    Report.objects.filter(pk=submission.report.pk).update(created_at=moment)
    Message.objects.filter(report=submission.report).update(created_at=moment)
    return submission.report


def test_the_case_page_shows_the_hour_a_reporter_wrote_not_the_minute(org: Setup) -> None:
    report = _report_with_reply(org)
    client = Client(enforce_csrf_checks=True)
    login_staff(client, "handler", PASSWORD)
    page = client.get(f"/console/reports/{report.reference}/").content.decode()
    assert "More detail" in page
    assert "2026-11-03 14:00" in page
    assert "14:37" not in page


def test_the_queue_export_gives_the_day_a_report_arrived(org: Setup) -> None:
    report = _report_with_reply(org)
    client = Client(enforce_csrf_checks=True)
    login_staff(client, "supervisor", PASSWORD)
    response = client.get("/console/export.csv")
    text = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    rows = {row[0]: row for row in csv.reader(io.StringIO(text))}
    assert rows[report.reference][3] == "2026-11-03"
    assert "14:37" not in text
