"""After a full journey, nothing the reporter or the handler wrote, and nothing that
identifies the reporter's browser, rests in clear in the database, the file store or the log."""

from __future__ import annotations

import pytest

from e2e.journey import Journey
from e2e.markers import find_leaks
from e2e.server import Deployment

pytestmark = pytest.mark.e2e


def _everything_secret(journey: Journey, deployment: Deployment) -> dict[str, str]:
    return {
        **journey.markers.by_name(),
        **journey.traces.by_name(),
        "staff password": deployment.staff_password,
        "receipt": journey.record.receipt.replace(" ", ""),
    }


def test_the_reporter_really_sent_every_marker_from_a_unique_address(journey: Journey) -> None:
    sent = journey.sent_by_reporter
    reporter_markers = ["what", "where", "identity", "camera_model", "file_name", "reporter_answer"]
    for name in reporter_markers:
        assert getattr(journey.markers, name).encode() in sent, name
    assert journey.traces.forwarded_address.encode() in sent
    assert journey.traces.user_agent_marker.encode() in sent
    assert journey.traces.referrer_marker.encode() in sent
    assert journey.reporter_addresses_seen_by_server == {journey.traces.address}


def test_the_database_holds_no_content_and_no_client_trace(journey: Journey, deployment: Deployment) -> None:
    snapshot = deployment.server.database.snapshot()
    clear_text_control = {"public channel description": deployment.public_note}
    assert find_leaks(snapshot, clear_text_control), "the search must find what is stored in clear"
    leaks = find_leaks(snapshot, _everything_secret(journey, deployment))
    assert not leaks, "\n".join(leaks)


def test_the_attachment_store_holds_only_ciphertext(journey: Journey, deployment: Deployment) -> None:
    stored = deployment.server.store_files()
    assert stored, "the photo must have been stored"
    leaks = find_leaks(stored, _everything_secret(journey, deployment))
    assert not leaks, "\n".join(leaks)
    assert all(not blob.startswith(b"\xff\xd8") for blob in stored.values()), "a stored file is a bare JPEG"


@pytest.mark.usefixtures("journey")
def test_no_cleartext_upload_is_left_in_the_cleaning_folder(deployment: Deployment) -> None:
    assert deployment.server.leftover_clean_files() == []


def test_the_server_log_holds_no_reporter_address_and_no_content(journey: Journey, deployment: Deployment) -> None:
    log = deployment.server.log_bytes()
    assert f"127.0.0.1:{deployment.server.port}".encode() in log, "this must be the server's own log"
    leaks = find_leaks({"server log": log}, _everything_secret(journey, deployment))
    assert not leaks, "\n".join(leaks)
