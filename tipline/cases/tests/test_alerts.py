"""Alert e-mails: counts from the state, no content, the same size every time, each
person's own choice, and sent by the worker's jobs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from tipline.accounts.models import StaffUser
from tipline.accounts.testing import login_staff
from tipline.audit.models import AuditEntry
from tipline.cases import services
from tipline.cases.models import AlertPreference, Exclusion
from tipline.cases.services import alerts
from tipline.conftest import PASSWORD, Setup, csrf_token
from tipline.jobs.registry import periodic_jobs
from tipline.jobs.services import run_one
from tipline.register import services as register
from tipline.register.models import Quarantine, Report


@pytest.fixture(autouse=True)
def _locmem_mail(settings: object) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # type: ignore[attr-defined]


@pytest.fixture
def addressed(org: Setup) -> Setup:
    for person in (org.handler, org.supervisor, org.other_handler, org.admin):
        StaffUser.objects.filter(pk=person.pk).update(email=f"{person.username}@example.org")
        person.refresh_from_db()
    return org


def _submit(org: Setup) -> register.Submission:
    version = org.channel.current_questionnaire()
    assert version is not None
    return register.create_report(
        channel=org.channel, questionnaire=version, answers={"what": "Tender rigging secret", "kind": "Fraud"}
    )


def _fresh(user: StaffUser) -> StaffUser:
    return StaffUser.objects.get(pk=user.pk)


def test_counts_come_from_the_state_and_respect_access(addressed: Setup) -> None:
    org = addressed
    submission = _submit(org)
    report = submission.report
    assert alerts.alert_counts(user=_fresh(org.handler)) == alerts.AlertCounts(new=1, replies=0, due=0, held=0)
    assert alerts.alert_counts(user=_fresh(org.other_handler)).new == 0, "no grant, nothing counted"
    services.mark_seen(report=report, user=org.handler)
    Report.objects.filter(pk=report.pk).update(status=Report.Status.ACKNOWLEDGED)
    register.post_message(report=report, report_key=submission.report_key, body="More")
    assert alerts.alert_counts(user=_fresh(org.handler)).replies == 1
    services.mark_seen(report=report, user=org.handler)
    assert alerts.alert_counts(user=_fresh(org.handler)).replies == 0
    Report.objects.filter(pk=report.pk).update(next_due_at=timezone.now() + dt.timedelta(days=1))
    assert alerts.alert_counts(user=_fresh(org.supervisor)).due == 1, "nobody assigned: the supervisors"
    assert alerts.alert_counts(user=_fresh(org.handler)).due == 0, "not assigned to them"
    Report.objects.filter(pk=report.pk).update(assignee=org.handler, quarantine=Quarantine.TOO_LARGE)
    assert alerts.alert_counts(user=_fresh(org.handler)).due == 1
    assert alerts.alert_counts(user=_fresh(org.supervisor)).held == 1
    assert alerts.alert_counts(user=_fresh(org.handler)).held == 0, "held reports are for supervisors"
    Exclusion.objects.create(report=report, user=org.supervisor)
    assert alerts.alert_counts(user=_fresh(org.supervisor)) == alerts.AlertCounts(0, 0, 0, 0)


def test_a_digest_goes_to_everyone_opted_in_with_no_content_and_one_size(addressed: Setup) -> None:
    org = addressed
    AlertPreference.objects.create(user=org.other_handler, mode=AlertPreference.Mode.NONE)
    queued = alerts.queue_digest(slot="2026-05-01T08:00:00+00:00")
    assert queued == 2, "the handler and the supervisor (digest is the default); not the admin, not 'none'"
    while run_one(worker_id="test"):
        pass
    empty = {m.to[0]: m for m in mail.outbox}
    assert set(empty) == {"handler@example.org", "supervisor@example.org"}
    report = _submit(org).report
    mail.outbox.clear()
    alerts.queue_digest(slot="2026-05-01T13:00:00+00:00")
    while run_one(worker_id="test"):
        pass
    busy = {m.to[0]: m for m in mail.outbox}
    for address, message in busy.items():
        body = message.body
        assert report.reference not in body
        assert org.channel.name not in body
        assert "Tender" not in body
        assert "/staff/login/" in body
        assert len(body.encode()) == len(empty[address].body.encode()) == alerts.BODY_BYTES
        assert len(message.message().as_bytes()) == len(empty[address].message().as_bytes())
        assert message.subject == empty[address].subject
    assert "    1  new reports" in busy["handler@example.org"].body
    sent = AuditEntry.objects.filter(action="alerts.sent")
    assert sent.count() == 4
    assert all(set(entry.detail) == {"to", "kind"} for entry in sent)


def test_immediate_alerts_go_only_when_something_new_arrived(addressed: Setup) -> None:
    org = addressed
    AlertPreference.objects.create(user=org.handler, mode=AlertPreference.Mode.IMMEDIATE)
    assert alerts.queue_immediate() == 0, "nothing waits"
    _submit(org)
    assert alerts.queue_immediate() == 1
    assert alerts.queue_immediate() == 0, "nothing more since"
    while run_one(worker_id="test"):
        pass
    assert [m.to for m in mail.outbox] == [["handler@example.org"]]
    assert "Something new" in mail.outbox[0].body
    assert len(mail.outbox[0].body.encode()) == alerts.BODY_BYTES
    _submit(org)
    assert alerts.queue_immediate() == 1
    digest = {person.username for person in alerts.recipients(mode=AlertPreference.Mode.DIGEST)}
    assert digest == {"supervisor", "other"}, "the handler chose immediate instead"


def test_a_digest_is_scheduled_at_each_configured_time() -> None:
    kinds = {job.kind for job in periodic_jobs()}
    assert {"cases.alert_digest_0800", "cases.alert_digest_1300", "cases.alert_digest_1700"} <= kinds
    assert "cases.alert_immediate" in kinds


def test_padding_is_exact_and_grows_in_steps() -> None:
    assert len(alerts.pad_body("short").encode()) == alerts.BODY_BYTES
    long = "é" * 1500
    assert len(alerts.pad_body(long).encode()) == 3072
    assert all(len(line) <= 70 for line in alerts.pad_body("x").splitlines())


def test_each_person_chooses_their_own_alerts(addressed: Setup) -> None:
    client = Client(enforce_csrf_checks=True)
    login_staff(client, "handler", PASSWORD)
    page = client.get("/console/alerts/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "08:00, 13:00, 17:00" in text
    assert 'value="digest"' in text
    assert "checked" in text
    token = csrf_token(client, "/console/alerts/")
    saved = client.post("/console/alerts/", {"csrfmiddlewaretoken": token, "mode": "immediate"})
    assert saved.status_code == 302
    assert AlertPreference.objects.get(user=addressed.handler).mode == "immediate"
    assert AuditEntry.objects.filter(action="alerts.preference", actor=addressed.handler).exists()
    bad = client.post("/console/alerts/", {"csrfmiddlewaretoken": token, "mode": "sometimes"})
    assert bad.status_code == 400
    assert AlertPreference.objects.get(user=addressed.handler).mode == "immediate"


def test_the_alert_page_needs_a_role_that_sees_the_queue(addressed: Setup) -> None:
    from tipline.accounts import services as accounts
    from tipline.accounts.models import Role

    accounts.create_staff(username="writer", password=PASSWORD, roles=[Role.EDITOR])
    client = Client(enforce_csrf_checks=True)
    login_staff(client, "writer", PASSWORD)
    assert client.get("/console/alerts/").status_code == 403
