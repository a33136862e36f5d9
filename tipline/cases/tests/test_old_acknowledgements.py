"""Acknowledgements sent on receipt before they were stored as the organisation's (their
row says "from the reporter", bound into their encryption): migration 0018 marks them
automatic, and from then on they are shown and counted as the organisation's, never as
the reporter's words, while they still open."""

from __future__ import annotations

import importlib
import re
from datetime import timedelta

from django.apps import apps
from django.test import Client

from tipline.accounts.testing import login_staff
from tipline.cases import selectors
from tipline.cases.services import alerts
from tipline.conftest import PASSWORD, Setup, csrf_token
from tipline.register import services as register
from tipline.register.models import Message, Report
from tipline.register.services.content import add_message

MIGRATION = importlib.import_module("tipline.register.migrations.0018_message_automatic")
ACKNOWLEDGEMENT = "We have it, and will write here."


def _submit(org: Setup) -> register.Submission:
    version = org.channel.current_questionnaire()
    assert version is not None
    return register.create_report(channel=org.channel, questionnaire=version, answers={"what": "Tender rigging"})


def _as_stored_before(submission: register.Submission) -> Message:
    """The report's acknowledgement as the code before the flag stored it: from the reporter."""
    report = submission.report
    Message.objects.filter(report=report).delete()
    old = add_message(report=report, report_key=submission.report_key, body=ACKNOWLEDGEMENT, author=None)
    assert not old.from_staff
    assert not old.automatic
    return old


def _staff(username: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    login_staff(client, username, PASSWORD)
    return client


def test_an_old_automatic_acknowledgement_becomes_the_organisations_and_still_opens(org: Setup) -> None:
    org.channel.auto_acknowledge = True
    org.channel.acknowledgement_text = ACKNOWLEDGEMENT
    org.channel.save()
    submission = _submit(org)
    report = submission.report
    old = _as_stored_before(submission)
    reply = register.post_message(report=report, report_key=submission.report_key, body="Here is more.")
    # A report without the automatic acknowledgement: the reporter wrote first, a person
    # acknowledged it later. Nothing of it is the organisation's automatic message.
    org.channel.auto_acknowledge = False
    org.channel.save()
    plain = _submit(org)
    first_words = register.post_message(report=plain.report, report_key=plain.report_key, body="My first words.")
    Report.objects.filter(pk=plain.report.pk).update(acknowledged_at=plain.report.created_at + timedelta(hours=1))

    MIGRATION.mark_old_acknowledgements(apps, None)

    assert set(Message.objects.filter(automatic=True).values_list("pk", flat=True)) == {old.pk}
    old.refresh_from_db()
    assert old.from_organisation
    assert not old.from_staff  # as bound into its encryption: it opens as it was sealed
    bodies = [item.body for item in register.list_messages(report=report, report_key=submission.report_key)]
    assert bodies == [ACKNOWLEDGEMENT, "Here is more."]
    reply.refresh_from_db()
    first_words.refresh_from_db()
    assert not reply.from_organisation
    assert not first_words.from_organisation

    # The reporter sees it as the organisation's answer.
    client = Client()
    client.post("/portal/", {"csrfmiddlewaretoken": csrf_token(client, "/portal/"), "receipt": submission.receipt})
    page = client.get("/portal/report/").content.decode()
    headings = re.findall(r"<h3>(.*?) · <time", page)
    assert [h.split(" (")[0] for h in headings] == ["From the handler", "From you"]
    # The handler sees it as automatic; only the reporter's own message counts as a reply.
    case = _staff("handler").get(f"/console/reports/{report.reference}/").content.decode()
    assert re.search(r"<h3>\s*automatic · ", case)
    assert len(re.findall(r"mark-unread", case)) == 1
    rows = selectors.mark_rows([report], user=org.handler)
    assert rows[report.pk].replied


def test_an_old_acknowledgement_alone_is_not_a_reply_waiting(org: Setup) -> None:
    org.channel.auto_acknowledge = True
    org.channel.save()
    submission = _submit(org)
    _as_stored_before(submission)
    Report.objects.filter(pk=submission.report.pk).update(assignee=org.handler, status=Report.Status.ACKNOWLEDGED)
    assert alerts.alert_counts(user=org.handler).replies == 1  # counted as the reporter's, before
    MIGRATION.mark_old_acknowledgements(apps, None)
    assert alerts.alert_counts(user=org.handler).replies == 0
    assert not selectors.mark_rows([submission.report], user=org.handler)[submission.report.pk].replied
