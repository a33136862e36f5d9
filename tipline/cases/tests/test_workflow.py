from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from tipline.accounts import services as accounts
from tipline.accounts.models import Role
from tipline.audit.models import AuditEntry
from tipline.cases import services
from tipline.cases.exceptions import (
    AssigneeNotEligible,
    InvalidTransition,
    NoAccess,
    NotAllowed,
    ReasonRequired,
)
from tipline.cases.models import Note
from tipline.cases.services import disclosure, retention, workflow
from tipline.conftest import PASSWORD, Setup
from tipline.register import deadlines
from tipline.register import services as register
from tipline.register.models import (
    Attachment,
    DisclosureRequest,
    IdentityKeyGrant,
    Label,
    Message,
    Outcome,
    Report,
    ReportKeyGrant,
)


def _key(user: object) -> bytes:
    return accounts.unlock_private_key(user=user, password=PASSWORD)  # type: ignore[arg-type]


def _submit(org: Setup, identity: str = "") -> register.Submission:
    version = org.channel.current_questionnaire()
    assert version is not None
    return register.create_report(
        channel=org.channel,
        questionnaire=version,
        answers={"what": "Tender rigging", "kind": "Fraud"},
        identity=identity,
    )


@pytest.fixture
def second_handler(org: Setup):  # type: ignore[no-untyped-def]
    return accounts.create_staff(username="h2", password=PASSWORD, roles=[Role.HANDLER], email="h2@example.org")


def test_a_new_report_is_due_for_acknowledgement_in_seven_days(org: Setup) -> None:
    report = _submit(org).report
    assert report.status == Report.Status.NEW
    assert report.ack_due_at == deadlines.due_after_days(report.created_at, 7)
    assert report.next_due_at == report.ack_due_at
    assert set(report.key_grants.values_list("user__username", flat=True)) == {None, "handler", "supervisor"}


def test_a_supervisor_assigns_and_the_handler_can_read(org: Setup, second_handler) -> None:  # type: ignore[no-untyped-def]
    report = _submit(org).report
    with pytest.raises(NoAccess):
        services.open_case(report=report, user=second_handler, private_key=_key(second_handler))
    workflow.assign_report(report=report, handler=second_handler, by=org.supervisor, private_key=_key(org.supervisor))
    report.refresh_from_db()
    assert report.assignee == second_handler
    content = services.open_case(report=report, user=second_handler, private_key=_key(second_handler))
    assert {q["key"]: v for q, v in content.answers}["what"] == "Tender rigging"


def test_only_supervisors_assign(org: Setup, second_handler) -> None:  # type: ignore[no-untyped-def]
    report = _submit(org).report
    with pytest.raises(NotAllowed):
        workflow.assign_report(report=report, handler=second_handler, by=org.handler, private_key=_key(org.handler))


def test_an_excluded_handler_loses_the_key_and_cannot_be_assigned(org: Setup) -> None:
    report = _submit(org).report
    workflow.exclude_from_report(report=report, user=org.handler, by=org.supervisor)
    assert not ReportKeyGrant.objects.filter(report=report, user=org.handler).exists()
    with pytest.raises(NoAccess):
        services.open_case(report=report, user=org.handler, private_key=_key(org.handler))
    with pytest.raises(AssigneeNotEligible):
        workflow.assign_report(report=report, handler=org.handler, by=org.supervisor, private_key=_key(org.supervisor))


def test_acknowledging_tells_the_reporter_and_starts_the_feedback_deadline(org: Setup) -> None:
    submission = _submit(org)
    report = submission.report
    workflow.acknowledge_report(report=report, by=org.handler, private_key=_key(org.handler))
    report.refresh_from_db()
    assert report.status == Report.Status.ACKNOWLEDGED
    assert report.acknowledged_at is not None
    assert report.feedback_due_at == deadlines.due_after_months(report.acknowledged_at, 3)
    assert report.next_due_at == report.feedback_due_at
    bodies = [m.body for m in register.list_messages(report=report, report_key=submission.report_key)]
    assert any("received" in body for body in bodies)
    with pytest.raises(InvalidTransition):
        workflow.acknowledge_report(report=report, by=org.handler, private_key=_key(org.handler))


def test_automatic_acknowledgement_on_receipt(org: Setup) -> None:
    org.channel.auto_acknowledge = True
    org.channel.acknowledgement_text = "We have it."
    org.channel.save()
    submission = _submit(org)
    report = Report.objects.get(pk=submission.report.pk)
    (message,) = register.list_messages(report=report, report_key=submission.report_key)
    assert message.body == "We have it."
    # The organisation's message, never shown as the reporter's own words (nor counted as one).
    assert message.message.from_staff
    assert message.message.author is None
    # The reporter is told, but the report stays new until a person opens it, and its next
    # deadline is still the acknowledgement one (days away, not the feedback in months).
    assert report.status == Report.Status.NEW
    assert report.acknowledged_at is not None
    assert report.next_due_at == report.ack_due_at
    assert report.feedback_due_at == deadlines.due_after_months(report.acknowledged_at, 3)
    with pytest.raises(InvalidTransition):  # never a second acknowledgement message
        workflow.acknowledge_report(report=report, by=org.handler, private_key=_key(org.handler))
    services.mark_seen(report=report, user=org.handler)
    report.refresh_from_db()
    assert report.status == Report.Status.ACKNOWLEDGED
    assert report.next_due_at == report.feedback_due_at


def test_closing_needs_an_outcome_and_a_reason(org: Setup) -> None:
    submission = _submit(org)
    report = submission.report
    malicious = Outcome.objects.get(code="malicious")
    with pytest.raises(ReasonRequired):
        workflow.close_report(
            report=report, by=org.handler, private_key=_key(org.handler), outcome=malicious, reason=" "
        )
    workflow.close_report(
        report=report,
        by=org.handler,
        private_key=_key(org.handler),
        outcome=malicious,
        reason="Knowingly false accusation",
    )
    report.refresh_from_db()
    assert report.status == Report.Status.CLOSED
    assert report.outcome == malicious
    assert report.next_due_at is None
    notes = services.list_notes(report=report, report_key=submission.report_key)
    assert [(n.note.kind, n.body) for n in notes] == [(Note.Kind.CLOSING, "Knowingly false accusation")]
    with pytest.raises(InvalidTransition):
        workflow.close_report(
            report=report, by=org.handler, private_key=_key(org.handler), outcome=malicious, reason="again"
        )


def test_notes_labels_links_and_legal_hold(org: Setup) -> None:
    first, second = _submit(org), _submit(org)
    workflow.add_note(report=first.report, by=org.handler, private_key=_key(org.handler), body="Call the auditor")
    urgent = Label.objects.create(name="urgent")
    workflow.set_labels(report=first.report, by=org.handler, labels=[urgent])
    workflow.link_reports(source=first.report, target=second.report, kind="duplicate", by=org.handler)
    workflow.set_legal_hold(report=first.report, by=org.supervisor, hold=True)
    first.report.refresh_from_db()
    assert list(first.report.labels.all()) == [urgent]
    assert first.report.links_out.get().target == second.report
    assert first.report.legal_hold
    with pytest.raises(NotAllowed):
        workflow.set_legal_hold(report=first.report, by=org.handler, hold=False)


def test_identity_disclosure_needs_a_supervisors_approval(org: Setup) -> None:
    submission = _submit(org, identity="Jane Roe, +1 555 0100")
    report = submission.report
    assert not disclosure.can_read_identity(report=report, user=org.handler)
    request = disclosure.request_identity(
        report=report, by=org.handler, private_key=_key(org.handler), reason="We need to protect her from retaliation"
    )
    with pytest.raises(NotAllowed):
        disclosure.decide_identity(request=request, by=org.handler, private_key=_key(org.handler), approve=True)
    disclosure.decide_identity(request=request, by=org.supervisor, private_key=_key(org.supervisor), approve=True)
    assert (
        disclosure.read_identity(report=report, by=org.handler, private_key=_key(org.handler))
        == "Jane Roe, +1 555 0100"
    )
    shown = register.list_disclosures(report=report, report_key=submission.report_key, approved_only=True)
    assert [d.reason for d in shown] == ["We need to protect her from retaliation"]
    with pytest.raises(InvalidTransition):
        disclosure.decide_identity(request=request, by=org.supervisor, private_key=_key(org.supervisor), approve=False)


def test_a_refused_disclosure_opens_nothing(org: Setup) -> None:
    report = _submit(org, identity="John").report
    request = disclosure.request_identity(report=report, by=org.handler, private_key=_key(org.handler), reason="x")
    disclosure.decide_identity(request=request, by=org.supervisor, private_key=_key(org.supervisor), approve=False)
    assert DisclosureRequest.objects.get().state == DisclosureRequest.State.REFUSED
    assert not IdentityKeyGrant.objects.filter(report=report, user=org.handler).exists()
    with pytest.raises(NoAccess):
        disclosure.read_identity(report=report, by=org.handler, private_key=_key(org.handler))


# ---------------------------------------------------------------- deadlines

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("received", "expected_local"),
    [
        # Spring forward on 2026-03-29: still the end of the local day, 7 days on.
        (dt.datetime(2026, 3, 25, 10, 0, tzinfo=BERLIN), dt.datetime(2026, 4, 1, 23, 59, 59, tzinfo=BERLIN)),
        # Fall back on 2026-10-25.
        (dt.datetime(2026, 10, 22, 23, 30, tzinfo=BERLIN), dt.datetime(2026, 10, 29, 23, 59, 59, tzinfo=BERLIN)),
        # Late evening in Berlin is already the next day in UTC+? no: earlier in UTC; the local day counts.
        (dt.datetime(2026, 6, 1, 0, 30, tzinfo=BERLIN), dt.datetime(2026, 6, 8, 23, 59, 59, tzinfo=BERLIN)),
    ],
)
def test_day_deadlines_fall_at_the_end_of_the_local_day_across_dst(
    received: dt.datetime, expected_local: dt.datetime
) -> None:
    due = deadlines.due_after_days(received.astimezone(dt.UTC), 7, BERLIN)
    assert due == expected_local.astimezone(dt.UTC)
    assert due.astimezone(BERLIN).time() == dt.time(23, 59, 59)


def test_month_deadlines_clamp_to_the_end_of_short_months() -> None:
    ack = dt.datetime(2026, 11, 30, 12, 0, tzinfo=BERLIN)
    assert deadlines.due_after_months(ack, 3, BERLIN).astimezone(BERLIN).date() == dt.date(2027, 2, 28)
    assert deadlines.due_after_months(ack, 1, BERLIN).astimezone(BERLIN).date() == dt.date(2026, 12, 30)


def test_overdue_reports_are_found_and_reminded_once(org: Setup, settings: object) -> None:
    from tipline.cases.services import reminders

    report = _submit(org).report
    later = report.ack_due_at + dt.timedelta(minutes=1)  # type: ignore[operator]
    assert list(Report.objects.overdue(later)) == [report]
    org.supervisor.email = "sup@example.org"
    org.supervisor.save()
    assert reminders.send_deadline_reminders(now=later) == 1
    assert reminders.send_deadline_reminders(now=later) == 0


def test_the_assignee_is_reminded_before_the_deadline(org: Setup) -> None:
    from tipline.cases.services import reminders
    from tipline.jobs.models import Job

    report = _submit(org).report
    org.handler.email = "handler@example.org"
    org.handler.save()
    workflow.assign_report(report=report, handler=org.handler, by=org.supervisor, private_key=_key(org.supervisor))
    soon = report.ack_due_at - dt.timedelta(days=1)  # type: ignore[operator]
    assert reminders.send_deadline_reminders(now=soon) == 1
    kinds = [job.payload["kind"] for job in Job.objects.filter(kind="cases.staff_email")]
    assert sorted(kinds) == ["assigned", "due_soon"]


def test_reminder_emails_carry_no_content(org: Setup) -> None:
    from tipline.cases.services import notify

    submission = _submit(org)
    org.handler.email = "handler@example.org"
    notify.send_staff_email(user=org.handler, kind="overdue", report=submission.report, extra={})
    message = mail.outbox[-1]
    assert submission.report.reference in message.body
    assert "Tender rigging" not in message.body + message.subject
    assert "Fraud" not in message.body


# ---------------------------------------------------------------- retention


def _closed(org: Setup, when: dt.datetime) -> register.Submission:
    submission = _submit(org)
    workflow.close_report(
        report=submission.report,
        by=org.handler,
        private_key=_key(org.handler),
        outcome=Outcome.objects.get(code="unsubstantiated"),
        reason="No evidence",
        now=when,
    )
    return submission


def test_purge_destroys_content_and_keys_and_keeps_a_tombstone(org: Setup, tmp_path: object) -> None:
    from django.utils import timezone

    from tipline import blobstore

    closed_at = timezone.now() - dt.timedelta(days=100)
    submission = _closed(org, closed_at)
    report = submission.report
    Report.objects.filter(pk=report.pk).update(last_activity_at=closed_at)
    assert retention.warn_upcoming(now=closed_at + dt.timedelta(days=84)) == 1  # supervisors are warned first
    assert retention.purge_due() == 1
    report.refresh_from_db()
    assert report.is_purged
    assert report.answers_ct is None
    assert report.lookup_id is None
    assert report.receipt_wrapped_key is None
    assert not ReportKeyGrant.objects.filter(report=report).exists()
    assert not Message.objects.filter(report=report).exists()
    assert not Note.objects.filter(report=report).exists()
    assert not Attachment.objects.filter(report=report).exists()
    assert list(blobstore.get_store().names()) == []
    assert report.status == Report.Status.CLOSED
    assert report.outcome is not None
    assert report.channel_id == org.channel.pk


def test_no_purge_under_legal_hold_or_after_new_activity(org: Setup) -> None:
    from django.utils import timezone

    old = timezone.now() - dt.timedelta(days=100)
    held = _closed(org, old).report
    Report.objects.filter(pk=held.pk).update(legal_hold=True, last_activity_at=old)
    active = _closed(org, old).report
    Report.objects.filter(pk=active.pk).update(last_activity_at=timezone.now() - dt.timedelta(days=1))
    assert retention.purge_due() == 0


def test_supervisors_are_warned_before_a_purge(org: Setup) -> None:
    from django.utils import timezone

    from tipline.jobs.models import Job

    org.supervisor.email = "sup@example.org"
    org.supervisor.save()
    closed = timezone.now() - dt.timedelta(days=85)
    report = _closed(org, closed).report
    Report.objects.filter(pk=report.pk).update(last_activity_at=closed)
    assert retention.warn_upcoming() == 1
    assert retention.warn_upcoming() == 0
    assert Job.objects.filter(kind="cases.staff_email", payload__kind="purge_ahead").count() == 1


def test_a_handlers_first_message_acknowledges_a_new_report(org: Setup) -> None:
    submission = _submit(org)
    report = submission.report
    key = _key(org.handler)
    register.post_message(
        report=report, report_key=submission.report_key, body="Which office was it?", author=org.handler
    )
    report.refresh_from_db()
    # The message is the confirmation of receipt: the portal no longer says nobody has confirmed it.
    assert report.status == Report.Status.ACKNOWLEDGED
    assert report.acknowledged_at is not None
    assert report.feedback_due_at == deadlines.due_after_months(report.acknowledged_at, 3)
    assert report.next_due_at == report.feedback_due_at
    entry = AuditEntry.objects.get(action="report.acknowledge", report_ref=report.reference)
    assert entry.detail == {"by_message": True}
    with pytest.raises(InvalidTransition):
        workflow.acknowledge_report(report=report, by=org.handler, private_key=key)
    acknowledged_at = report.acknowledged_at
    register.post_message(report=report, report_key=submission.report_key, body="Thank you.", author=org.handler)
    report.refresh_from_db()
    assert report.acknowledged_at == acknowledged_at  # only the first one
    assert AuditEntry.objects.filter(action="report.acknowledge", report_ref=report.reference).count() == 1


def test_the_reporters_own_message_acknowledges_nothing(org: Setup) -> None:
    submission = _submit(org)
    register.post_message(report=submission.report, report_key=submission.report_key, body="One more thing.")
    submission.report.refresh_from_db()
    assert submission.report.status == Report.Status.NEW
    assert submission.report.acknowledged_at is None
