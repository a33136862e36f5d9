"""The same form page sent more than once (a double click without JavaScript) is
recognised: every copy is kept and linked to the first, and handlers answer on each."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tipline.accounts.testing import login_staff
from tipline.audit.models import AuditEntry
from tipline.cases.exceptions import InvalidTransition
from tipline.cases.services import workflow
from tipline.conftest import PASSWORD, Setup, csrf_token
from tipline.register import services
from tipline.register.models import Channel, Report, ReportLink

URL = "/report/web/"
ANSWERS = {"what": "x", "kind": "Fraud"}


def _page(client: Client, url: str = URL) -> tuple[str, str]:
    """The CSRF token and the form page's own token."""
    csrf = csrf_token(client, url)
    page = client.get(url).content.decode()
    match = re.search(r'name="form_token" value="([^"]+)"', page)
    assert match, "the form carries a token of its page"
    return csrf, match.group(1)


def _send(client: Client, csrf: str, form_token: str | None, url: str = URL) -> int:
    data = {"csrfmiddlewaretoken": csrf, "q_what": "Cash for permits", "q_kind": "Bribery"}
    if form_token is not None:
        data["form_token"] = form_token
    return client.post(url, data).status_code


def _links() -> set[tuple[str, str]]:
    kind = ReportLink.Kind.SENT_TWICE
    return {(link.source.reference, link.target.reference) for link in ReportLink.objects.filter(kind=kind)}


def _submit(channel: Channel, token: str) -> Report:
    version = channel.current_questionnaire()
    assert version is not None
    return services.create_report(channel=channel, questionnaire=version, answers=ANSWERS, form_token=token).report


def test_a_double_click_keeps_both_reports_and_links_the_second_to_the_first(org: Setup, client: Client) -> None:
    csrf, form_token = _page(client)
    assert _send(client, csrf, form_token) == 302
    assert _send(client, csrf, form_token) == 302
    first, second = Report.objects.order_by("created_at", "pk")
    assert _links() == {(second.reference, first.reference)}
    entry = AuditEntry.objects.filter(action="report.link").get()
    assert (entry.report_ref, entry.detail) == (second.reference, {"target": first.reference, "kind": "sent_twice"})


def test_three_copies_are_two_links_to_the_first_and_nothing_else(org: Setup, client: Client) -> None:
    csrf, form_token = _page(client)
    for _ in range(3):
        assert _send(client, csrf, form_token) == 302
    first, *later = Report.objects.order_by("created_at", "pk")
    assert _links() == {(report.reference, first.reference) for report in later}


def test_copies_committed_out_of_order_are_linked_by_the_one_committed_last(org: Setup) -> None:
    later = _submit(org.channel, "o" * 22)  # finished first, although it arrived second
    earlier = _submit(org.channel, "o" * 22)
    Report.objects.filter(pk=earlier.pk).update(created_at=later.created_at - timedelta(seconds=1))
    ReportLink.objects.all().delete()
    earlier.refresh_from_db()
    services.link_copies(report=earlier)  # what the copy committed last does
    assert _links() == {(later.reference, earlier.reference)}


def test_two_pages_are_two_reports_and_no_link(org: Setup, client: Client) -> None:
    for _ in range(2):
        csrf, form_token = _page(client)
        assert _send(client, csrf, form_token) == 302
    assert Report.objects.count() == 2
    assert not ReportLink.objects.exists()


def test_the_same_token_in_another_channel_is_not_linked(org: Setup) -> None:
    other = Channel.objects.create(slug="other", name="Other", description="")
    for question in org.channel.questions.all():
        question.pk, question.channel = None, other
        question.save()
    services.publish_questionnaire(channel=other)
    _submit(org.channel, "c" * 22)
    _submit(other, "c" * 22)
    assert not ReportLink.objects.exists()


def test_copies_far_apart_in_time_are_not_linked(org: Setup) -> None:
    first = _submit(org.channel, "t" * 22)
    Report.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(hours=2))
    _submit(org.channel, "t" * 22)
    assert not ReportLink.objects.exists()


@pytest.mark.parametrize("token", [None, "", "short", "<script>" * 8, "x" * 65, "a\x00" * 12, "令牌" * 12])
def test_a_missing_or_foreign_token_is_ignored_not_refused(org: Setup, client: Client, token: str | None) -> None:
    csrf, _ = _page(client)
    assert _send(client, csrf, token) == 302
    assert Report.objects.get().form_digest == ""


def test_the_token_is_not_stored_and_its_digest_needs_the_pepper(org: Setup, settings: object) -> None:
    token = "k" * 22
    report = _submit(org.channel, token)
    row = Report.objects.filter(pk=report.pk).values().get()
    assert all(token not in str(value) for value in row.values())
    assert report.form_digest
    settings.TIPLINE_PEPPER = b"another pepper"  # type: ignore[attr-defined]
    assert services.form_digest(token=token) != report.form_digest, "keyed: a copy of the database cannot confirm it"


def test_digests_are_forgotten_after_their_use(org: Setup) -> None:
    old, recent = _submit(org.channel, "f" * 22), _submit(org.channel, "g" * 22)
    Report.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=3))
    assert services.forget_form_digests() == 1
    assert Report.objects.get(pk=old.pk).form_digest == ""
    assert Report.objects.get(pk=recent.pk).form_digest != ""


def test_a_form_shown_again_after_an_error_keeps_its_token(org: Setup, client: Client) -> None:
    csrf, form_token = _page(client)
    again = client.post(URL, {"csrfmiddlewaretoken": csrf, "q_kind": "Bribery", "form_token": form_token})
    assert again.status_code == 400
    assert f'value="{form_token}"' in again.content.decode()


def test_the_handler_is_told_to_answer_on_every_copy(org: Setup, client: Client) -> None:
    csrf, form_token = _page(client)
    _send(client, csrf, form_token)
    _send(client, csrf, form_token)
    first, second = Report.objects.order_by("created_at", "pk")
    staff = Client()
    login_staff(staff, org.handler.username, PASSWORD)
    on_second = staff.get(f"/console/reports/{second.reference}/").content.decode()
    on_first = staff.get(f"/console/reports/{first.reference}/").content.decode()
    assert f"Sent from the same form page as {first.reference}." in on_second
    assert f"{second.reference} was sent from the same form page." in on_first
    assert "reply on each of them" in on_first
    assert "reply on each of them" in on_second


def test_a_failure_to_link_does_not_cost_the_reporter_the_receipt(
    org: Setup, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(report: Report) -> None:
        raise RuntimeError("anything at all")

    monkeypatch.setattr(services, "link_copies", broken)
    csrf, form_token = _page(client)
    assert _send(client, csrf, form_token) == 302
    assert re.search(r'id="receipt">[\d ]+<', client.get("/receipt/").content.decode())


def test_staff_cannot_make_or_change_a_sent_twice_link_by_hand(org: Setup) -> None:
    from tipline.cases.forms import LinkForm

    assert ReportLink.Kind.SENT_TWICE not in dict(LinkForm.base_fields["kind"].choices)  # type: ignore[attr-defined]
    first, second = _submit(org.channel, "h" * 22), _submit(org.channel, "h" * 22)
    with pytest.raises(InvalidTransition):
        workflow.link_reports(source=second, target=first, kind=ReportLink.Kind.RELATED, by=org.supervisor)
    assert _links() == {(second.reference, first.reference)}
