"""A supervisor assigns, the handler acknowledges, asks for the identity, the supervisor
approves, the handler closes; the reporter (JavaScript off) sees each step in the portal."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser

from e2e import seed
from e2e.console_journey import OUTCOME, CaseMarkers, ConsoleJourneyRecord, run_console_journey
from e2e.markers import find_leaks
from e2e.pages import QueueRow
from e2e.server import Deployment

pytestmark = pytest.mark.e2e

STEPS_IN_THE_AUDIT_TRAIL = [
    "report.assign",
    "report.acknowledge",
    "disclosure.request",
    "disclosure.approve",
    "identity.read",
    "report.close",
]


@dataclass(frozen=True)
class ConsoleJourney:
    markers: CaseMarkers
    record: ConsoleJourneyRecord


@pytest.fixture(scope="module")
def console_journey(deployment: Deployment, browser: Browser) -> ConsoleJourney:
    """The whole journey, once per database backend."""
    markers = CaseMarkers.new()
    try:
        record = run_console_journey(browser=browser, deployment=deployment, markers=markers)
    except Exception as error:
        error.add_note(deployment.server.log_tail())  # a failed step often has its cause there
        raise
    return ConsoleJourney(markers=markers, record=record)


def _in_order(wanted: list[str], seen: Iterable[str]) -> bool:
    """``wanted`` occurs in ``seen`` in this order, other entries allowed in between."""
    remaining = iter(seen)
    return all(step in remaining for step in wanted)


def _safety_report(reference: str, *, assigned_to: str) -> QueueRow:
    return QueueRow(reference=reference, channel=seed.SAFETY_CHANNEL_NAME, status="New", assigned_to=assigned_to)


def test_the_supervisor_finds_the_new_report_counted_and_listed_as_new(console_journey: ConsoleJourney) -> None:
    record = console_journey.record
    assert record.new_after_the_report == record.new_before_the_report + 1
    assert record.supervisor_sees == [_safety_report(record.reference, assigned_to="—")]


def test_only_the_assignment_puts_the_report_in_the_caseworkers_queue(console_journey: ConsoleJourney) -> None:
    record = console_journey.record
    assert record.caseworker_sees_before_assignment == []
    assert record.assignee_shown_to_supervisor == seed.CASEWORKER
    assert record.caseworker_sees_after_assignment == [
        QueueRow(
            reference=record.reference, channel=seed.SAFETY_CHANNEL_NAME, status="New", assigned_to=seed.CASEWORKER
        )
    ]


def test_the_acknowledged_report_no_longer_counts_as_new(console_journey: ConsoleJourney) -> None:
    record = console_journey.record
    assert record.new_after_acknowledgement == record.new_before_the_report


def test_the_reporter_reads_the_acknowledgement_from_the_handler(console_journey: ConsoleJourney) -> None:
    portal = console_journey.record.reporter_after_acknowledgement
    assert portal.status == "Acknowledged"
    assert len(portal.conversation) == 1
    assert portal.conversation[0].startswith("From the handler")
    assert seed.SAFETY_ACKNOWLEDGEMENT in portal.conversation[0]
    assert portal.disclosure_reasons == []
    assert portal.outcome is None


def test_the_caseworker_reads_the_identity_only_after_a_supervisor_approves(console_journey: ConsoleJourney) -> None:
    record, identity = console_journey.record, console_journey.markers.identity
    assert "It is sealed" in record.identity_section_before_approval
    assert identity not in record.identity_section_before_approval
    assert identity in record.identity_seen_by_caseworker
    assert "Jiří Dvořák" in record.identity_seen_by_caseworker


def test_the_reporter_is_told_the_identity_was_disclosed_and_why(console_journey: ConsoleJourney) -> None:
    portal = console_journey.record.reporter_after_disclosure
    assert len(portal.disclosure_reasons) == 1
    assert console_journey.markers.disclosure_reason in portal.disclosure_reasons[0]
    assert "证人" in portal.disclosure_reasons[0]
    assert portal.status == "Acknowledged"


def test_the_reporter_sees_the_report_closed_with_its_outcome(console_journey: ConsoleJourney) -> None:
    record = console_journey.record
    assert record.case_status_after_closing == "Closed"
    portal = record.reporter_after_closing
    assert (portal.status, portal.outcome) == ("Closed", OUTCOME)
    assert len(portal.disclosure_reasons) == 1


def test_the_audit_trail_of_the_report_lists_every_step_in_order(console_journey: ConsoleJourney) -> None:
    actions = console_journey.record.audit_actions
    assert _in_order(STEPS_IN_THE_AUDIT_TRAIL, actions), actions


def test_no_page_of_the_console_journey_is_refused_or_breaks_a_policy(console_journey: ConsoleJourney) -> None:
    reporter, staff = console_journey.record.reporter_browser, console_journey.record.staff_browser
    assert reporter.refused == []
    assert staff.refused == []
    assert reporter.page_errors() == []
    assert staff.page_errors() == []


def test_what_the_console_journey_wrote_rests_only_as_ciphertext(
    console_journey: ConsoleJourney, deployment: Deployment
) -> None:
    secrets = {
        **console_journey.markers.by_name(),
        "receipt": console_journey.record.receipt.replace(" ", ""),
    }
    places = {
        **deployment.server.database.snapshot(),
        **deployment.server.store_files(),
        "server log": deployment.server.log_bytes(),
    }
    leaks = find_leaks(places, secrets)
    assert not leaks, "\n".join(leaks)
