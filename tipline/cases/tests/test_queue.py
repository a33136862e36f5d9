"""The queue: who sees which reports, each filter, the sorts, paging, counts, and what it reads."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tipline.accounts.testing import login_staff
from tipline.cases import selectors
from tipline.cases.models import Exclusion
from tipline.conftest import PASSWORD, Setup
from tipline.register import services as register
from tipline.register.models import Channel, Label, Report

NOW = timezone.now()
REFERENCE = re.compile(r'href="/console/reports/([^/]+)/"')


def submit(org: Setup, channel: Channel | None = None) -> Report:
    channel = channel or org.channel
    version = channel.current_questionnaire()
    assert version is not None
    return register.create_report(
        channel=channel, questionnaire=version, answers={"what": "Tender rigging", "kind": "Fraud"}
    ).report


def set_meta(report: Report, **fields: object) -> Report:
    Report.objects.filter(pk=report.pk).update(**fields)
    report.refresh_from_db()
    return report


@pytest.fixture
def reports(org: Setup) -> dict[str, Report]:
    """Five reports with distinct metadata; received on days 1 to 5 of May 2026."""
    other_channel = Channel.objects.create(slug="post", name="Letters", description="By post")
    other_channel.recipients.add(org.handler)
    questions = org.channel.current_questionnaire()
    assert questions is not None
    other_channel.questionnaire_versions.create(number=1, fields=questions.fields)
    day = lambda n: dt.datetime(2026, 5, n, 12, 0, tzinfo=dt.UTC)  # noqa: E731
    made = {
        "new": set_meta(submit(org), created_at=day(1), next_due_at=NOW + dt.timedelta(days=3)),
        "overdue": set_meta(submit(org), created_at=day(2), next_due_at=NOW - dt.timedelta(days=1)),
        "mine": set_meta(
            submit(org),
            created_at=day(3),
            status=Report.Status.IN_PROGRESS,
            assignee=org.handler,
            next_due_at=NOW + dt.timedelta(days=30),
        ),
        "closed": set_meta(submit(org), created_at=day(4), status=Report.Status.CLOSED, next_due_at=None),
        "letter": set_meta(submit(org, other_channel), created_at=day(5), next_due_at=NOW + dt.timedelta(days=10)),
    }
    urgent = Label.objects.create(name="urgent")
    made["overdue"].labels.add(urgent)
    made["letter"].labels.add(urgent, Label.objects.create(name="press"))
    return made


def names(found: object, reports: dict[str, Report]) -> list[str]:
    by_pk = {report.pk: name for name, report in reports.items()}
    return [by_pk[report.pk] for report in found]  # type: ignore[attr-defined]


def queue_of(org: Setup, reports: dict[str, Report], **filters: object) -> list[str]:
    user = filters.pop("user", org.supervisor)
    found = selectors.filter_queue(selectors.visible_reports(user), filters, user=user)  # type: ignore[arg-type]
    return names(found, reports)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["letter", "closed", "mine", "overdue", "new"]),
        ({"status": Report.Status.CLOSED}, ["closed"]),
        ({"overdue": True}, ["overdue"]),
        ({"received_from": dt.date(2026, 5, 2), "received_to": dt.date(2026, 5, 3)}, ["mine", "overdue"]),
        ({"received_to": dt.date(2026, 5, 1)}, ["new"]),
        ({"assignee": "none", "sort": "oldest"}, ["new", "overdue", "closed", "letter"]),
        ({"sort": "due"}, ["overdue", "new", "letter", "mine"]),  # closed reports have no deadline
        ({"sort": "status"}, ["closed", "mine", "letter", "overdue", "new"]),
    ],
)
def test_each_filter_and_sort_gives_exactly_the_matching_reports(
    org: Setup, reports: dict[str, Report], filters: dict[str, object], expected: list[str]
) -> None:
    assert queue_of(org, reports, **filters) == expected


def test_the_channel_label_and_assignee_filters(org: Setup, reports: dict[str, Report]) -> None:
    letters = Channel.objects.get(slug="post")
    assert queue_of(org, reports, channel=letters) == ["letter"]
    urgent, press = Label.objects.get(name="urgent"), Label.objects.get(name="press")
    assert queue_of(org, reports, label=urgent) == ["letter", "overdue"]  # each once, though one has two labels
    assert queue_of(org, reports, label=press) == ["letter"]
    assert queue_of(org, reports, label=urgent, status=Report.Status.NEW) == ["letter", "overdue"]
    assert queue_of(org, reports, assignee=str(org.handler.pk)) == ["mine"]
    assert queue_of(org, reports, assignee="me", user=org.handler) == ["mine"]
    assert queue_of(org, reports, assignee="me") == []  # the supervisor holds none


def test_handlers_see_only_reports_they_hold_a_key_to_and_exclusions_hide_reports(
    org: Setup, reports: dict[str, Report]
) -> None:
    assert queue_of(org, reports, user=org.other_handler) == []
    assert set(queue_of(org, reports, user=org.handler)) == set(reports)  # recipient of both channels
    Exclusion.objects.create(report=reports["overdue"], user=org.supervisor, created_by=org.admin)
    assert "overdue" not in queue_of(org, reports)
    counts = selectors.queue_counts(selectors.visible_reports(org.supervisor))
    assert (counts.new, counts.overdue) == (2, 0)


def test_counts_follow_what_the_person_may_see(org: Setup, reports: dict[str, Report]) -> None:
    counts = selectors.queue_counts(selectors.visible_reports(org.supervisor))
    assert (counts.new, counts.overdue) == (3, 1)  # "new", "overdue" and "letter" are new
    counts = selectors.queue_counts(selectors.visible_reports(org.other_handler))
    assert (counts.new, counts.overdue) == (0, 0)


def staff(username: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    login_staff(client, username, PASSWORD)
    return client


def test_the_queue_page_pages_without_counting_everything(org: Setup, reports: dict[str, Report]) -> None:
    client = staff("supervisor")
    first = client.get("/console/", {"sort": "oldest"}).content.decode()
    assert REFERENCE.findall(first)[:2] == [reports["new"].reference, reports["overdue"].reference]
    assert 'rel="next"' not in first
    for bad in ("0", "-3", "abc", "999999999"):
        response = client.get("/console/", {"page": bad})
        assert response.status_code == 200
    far = client.get("/console/", {"page": "2"}).content.decode()
    assert REFERENCE.findall(far) == []
    assert 'rel="prev"' in far


def test_a_bad_filter_gets_400_with_the_form_and_the_unfiltered_list(org: Setup, reports: dict[str, Report]) -> None:
    response = staff("supervisor").get("/console/", {"status": "bogus", "received_from": "yesterday"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Select a valid choice" in page
    assert "Enter a valid date" in page
    assert len(REFERENCE.findall(page)) == len(reports)


def test_the_queue_page_reads_no_ciphertext_and_a_fixed_number_of_queries(
    org: Setup, reports: dict[str, Report]
) -> None:
    client = staff("supervisor")

    def page_queries(make_more: Callable[[], object] | None = None) -> list[str]:
        if make_more:
            make_more()
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/console/").status_code == 200
        return [query["sql"] for query in captured.captured_queries]

    few = page_queries()
    many = page_queries(lambda: [submit(org) for _ in range(6)])
    assert len(many) == len(few), "one query per row crept in"
    report_reads = [sql for sql in many if 'FROM "register_report"' in sql]
    # The subjects of the page's rows are decrypted from the answers of those rows alone,
    # fetched by primary key in one query; the listing itself reads no ciphertext.
    subjects = [sql for sql in report_reads if '"register_report"."answers_ct"' in sql]
    assert len(subjects) == 1
    assert '"register_report"."id" IN (' in subjects[0]
    listing = [sql for sql in report_reads if sql not in subjects]
    assert listing
    for column in selectors.CIPHERTEXT_FIELDS:
        assert not any(f'"register_report"."{column}"' in sql for sql in listing), column
    for column in ("lookup_id", "receipt_wrapped_key", "identity_ct"):
        assert f'"register_report"."{column}"' not in subjects[0], column


def test_supervisors_are_told_of_a_mailbox_listed_for_the_public_that_nothing_reads(org: Setup) -> None:
    from tipline.register.models import ChannelKind

    mailbox = Channel.objects.create(
        slug="mail", name="Confidential mailbox", kind=ChannelKind.MAILBOX, email_address="tips@office.example"
    )
    supervisor, handler = Client(), Client()
    login_staff(supervisor, "supervisor", PASSWORD)
    login_staff(handler, "handler", PASSWORD)
    page = supervisor.get("/console/").content.decode()
    assert "A mailbox is listed but not read" in page
    assert "tips@office.example" in page
    assert "A mailbox is listed but not read" not in handler.get("/console/").content.decode()
    mailbox.imap_url = "imaps://imap.office.example"
    mailbox.imap_user = "tips"
    mailbox.imap_password_env = "TIPLINE_MAIL_PASSWORD"
    mailbox.save()
    assert "A mailbox is listed but not read" not in supervisor.get("/console/").content.decode()
