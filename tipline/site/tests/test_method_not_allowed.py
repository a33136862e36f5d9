"""An address opened in a way it does not take gets a page that says what to do, not an
empty answer; the portal's form addresses lead back to the report."""

from __future__ import annotations

from django.test import Client

from tipline.conftest import Setup, csrf_token
from tipline.register import services


def test_a_form_address_opened_by_a_link_gets_a_page_that_says_what_to_do(db: None) -> None:
    client = Client()
    response = client.get("/portal/leave/")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    page = response.content.decode()
    assert "This address takes a form only" in page
    assert "Nothing was changed" in page
    client.cookies["django_language"] = "zh-hans"
    assert "此地址只接收表单" in client.get("/portal/leave/").content.decode()
    # A method the address does not take at all, sent by a program, keeps its plain answer.
    assert client.put("/portal/leave/").content == b""


def test_the_portals_form_addresses_lead_back_to_the_report(org: Setup) -> None:
    version = org.channel.current_questionnaire()
    assert version is not None
    submission = services.create_report(channel=org.channel, questionnaire=version, answers={"what": "Bids"})
    client = Client()
    token = csrf_token(client, "/portal/")
    assert client.post("/portal/", {"csrfmiddlewaretoken": token, "receipt": submission.receipt}).status_code == 302
    for address in ("/portal/meeting/", "/portal/held/", "/portal/transcripts/1/"):
        response = client.get(address)
        assert response.status_code == 302, address
        assert response["Location"] == "/portal/report/"
    submission.report.refresh_from_db()
    assert submission.report.meeting_requested_at is None, "opening the address asked for nothing"
