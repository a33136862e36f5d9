"""The same form page sent twice (a double click without JavaScript) is recognised:
both copies are kept and the earlier one is linked to the one sent last."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import DatabaseError
from django.test import Client
from django.utils import timezone

from tipline.audit.models import AuditEntry
from tipline.cases.models import ReportLink
from tipline.conftest import PASSWORD, Setup, csrf_token
from tipline.intake import services
from tipline.intake.models import Report

URL = "/report/web/"


def _page(client: Client) -> tuple[str, str]:
    """The CSRF token and the form page's own token."""
    csrf = csrf_token(client, URL)
    page = client.get(URL).content.decode()
    match = re.search(r'name="form_token" value="([^"]+)"', page)
    assert match, "the form carries a token of its page"
    return csrf, match.group(1)


def _send(client: Client, csrf: str, form_token: str | None) -> int:
    data = {"csrfmiddlewaretoken": csrf, "q_what": "Cash for permits", "q_kind": "Bribery"}
    if form_token is not None:
        data["form_token"] = form_token
    return client.post(URL, data).status_code


def test_a_double_click_keeps_both_reports_and_links_the_first_to_the_last(org: Setup, client: Client) -> None:
    csrf, form_token = _page(client)
    assert _send(client, csrf, form_token) == 302
    assert _send(client, csrf, form_token) == 302
    first, last = Report.objects.order_by("created_at", "pk")
    [link] = ReportLink.objects.all()
    assert (link.source, link.target, link.kind) == (first, last, ReportLink.Kind.SENT_TWICE)
    entry = AuditEntry.objects.filter(action="report.link").get()
    assert (entry.report_ref, entry.detail["target"]) == (first.reference, last.reference)


def test_three_copies_all_point_at_the_last(org: Setup, client: Client) -> None:
    csrf, form_token = _page(client)
    for _ in range(3):
        assert _send(client, csrf, form_token) == 302
    *earlier, last = Report.objects.order_by("created_at", "pk")
    linked = {(link.source_id, link.target_id) for link in ReportLink.objects.filter(target=last)}
    assert linked == {(report.pk, last.pk) for report in earlier}


def test_two_pages_are_two_reports_and_no_link(org: Setup, client: Client) -> None:
    for _ in range(2):
        csrf, form_token = _page(client)
        assert _send(client, csrf, form_token) == 302
    assert Report.objects.count() == 2
    assert not ReportLink.objects.exists()


def test_a_missing_or_foreign_token_is_ignored_not_refused(org: Setup, client: Client) -> None:
    csrf, _ = _page(client)
    for token in (None, "", "short", "<script>" * 8, "x" * 65):
        assert _send(client, csrf, token) == 302, token
    assert set(Report.objects.values_list("form_digest", flat=True)) == {""}
    assert not ReportLink.objects.exists()


def test_only_a_digest_of_the_token_is_stored(org: Setup, client: Client) -> None:
    csrf, form_token = _page(client)
    _send(client, csrf, form_token)
    report = Report.objects.get()
    assert report.form_digest == services.form_digest(form_token)
    assert form_token not in report.form_digest


def test_copies_far_apart_in_time_are_not_linked(org: Setup) -> None:
    version = org.channel.current_questionnaire()
    assert version is not None
    answers = {"what": "x", "kind": "Fraud"}
    first = services.submit_report(channel=org.channel, questionnaire=version, answers=answers, form_token="t" * 22)
    Report.objects.filter(pk=first.report.pk).update(created_at=timezone.now() - timedelta(hours=2))
    services.submit_report(channel=org.channel, questionnaire=version, answers=answers, form_token="t" * 22)
    assert not ReportLink.objects.exists()


def test_a_form_shown_again_after_an_error_keeps_its_token(org: Setup, client: Client) -> None:
    csrf, form_token = _page(client)
    again = client.post(URL, {"csrfmiddlewaretoken": csrf, "q_kind": "Bribery", "form_token": form_token})
    assert again.status_code == 400
    assert f'name="form_token" value="{form_token}"' in again.content.decode()


def test_the_handler_is_told_which_copy_to_answer(org: Setup, client: Client) -> None:
    from tipline.accounts.testing import login_staff

    csrf, form_token = _page(client)
    _send(client, csrf, form_token)
    _send(client, csrf, form_token)
    first, last = Report.objects.order_by("created_at", "pk")
    staff = Client()
    login_staff(staff, org.handler.username, PASSWORD)
    page = staff.get(f"/console/reports/{first.reference}/").content.decode()
    assert f"most likely for {last.reference}" in page
    assert "this is the copy sent last" in staff.get(f"/console/reports/{last.reference}/").content.decode()


def test_staff_cannot_make_a_sent_twice_link_by_hand() -> None:
    from tipline.cases.forms import LinkForm

    assert ReportLink.Kind.SENT_TWICE not in dict(LinkForm.base_fields["kind"].choices)  # type: ignore[attr-defined]


def test_a_failure_to_link_does_not_cost_the_reporter_the_receipt(
    org: Setup, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(report: Report) -> None:
        raise DatabaseError("database is locked")

    monkeypatch.setattr(services, "link_copies", broken)
    csrf, form_token = _page(client)
    assert _send(client, csrf, form_token) == 302
    assert re.search(r'id="receipt">[\d ]+<', client.get("/receipt/").content.decode())
