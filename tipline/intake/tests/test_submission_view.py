from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tipline.conftest import Setup, csrf_token, jpeg_with_exif
from tipline.intake.models import Attachment, Report

URL = "/report/web/"


def _answers(token: str, **extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "csrfmiddlewaretoken": token,
        "q_what": "The mayor took cash from a builder",
        "q_kind": "Bribery",
        "q_when": "2026-10-01",
        "q_evidence": ["Documents", "Photos"],
        "q_ongoing": "yes",
    }
    data.update(extra)
    return data


def _receipt_from(client: Client) -> str:
    page = client.get("/receipt/")
    assert page.status_code == 200
    match = re.search(r'id="receipt">([\d ]+)<', page.content.decode())
    assert match, "the receipt page shows the receipt"
    return match.group(1)


def test_a_newcomer_submits_and_gets_a_receipt_grouped_4_4_4_4(org: Setup, client: Client) -> None:
    token = csrf_token(client, URL)
    response = client.post(URL, _answers(token))
    assert response.status_code == 302
    assert response["Location"] == "/receipt/"
    receipt = _receipt_from(client)
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", receipt)
    assert Report.objects.count() == 1


def test_the_receipt_is_shown_only_once(org: Setup, client: Client) -> None:
    client.post(URL, _answers(csrf_token(client, URL)))
    receipt = _receipt_from(client)
    again = client.get("/receipt/").content.decode()
    assert receipt not in again
    assert receipt.replace(" ", "") not in again


def test_the_receipt_reopens_the_report_in_the_portal(org: Setup, client: Client) -> None:
    client.post(URL, _answers(csrf_token(client, URL)))
    receipt = _receipt_from(client)
    fresh = Client(enforce_csrf_checks=True)
    token = csrf_token(fresh, "/portal/")
    response = fresh.post("/portal/", {"csrfmiddlewaretoken": token, "receipt": receipt}, follow=True)
    assert response.status_code == 200
    assert "The mayor took cash from a builder" in response.content.decode()


def test_a_jpeg_is_cleaned_of_exif_before_it_is_stored(org: Setup, client: Client) -> None:
    from tipline.accounts.services import unlock_private_key
    from tipline.cases import services as cases
    from tipline.conftest import PASSWORD

    photo = SimpleUploadedFile("holiday.jpg", jpeg_with_exif("SecretCam-9"), content_type="image/jpeg")
    client.post(URL, _answers(csrf_token(client, URL), f_files=photo))
    attachment = Attachment.objects.get()
    assert attachment.state == Attachment.State.SENT
    key = unlock_private_key(user=org.handler, password=PASSWORD)
    info, chunks = cases.download_attachment(attachment=attachment, user=org.handler, private_key=key)
    data = b"".join(chunks)
    assert info.cleaned
    assert info.name == "holiday.jpg"
    assert data.startswith(b"\xff\xd8")
    assert b"SecretCam-9" not in data
    assert b"Exif" not in data


def test_a_file_of_an_unknown_type_is_held_until_the_reporter_decides(org: Setup, client: Client) -> None:
    blob = SimpleUploadedFile("notes.xyz", b"raw notes", content_type="application/octet-stream")
    client.post(URL, _answers(csrf_token(client, URL), f_files=blob))
    attachment = Attachment.objects.get()
    assert attachment.state == Attachment.State.HELD
    page = client.get("/receipt/").content.decode()
    assert "notes.xyz" in page
    token = csrf_token(client, "/portal/report/")
    client.post("/portal/held/", {"csrfmiddlewaretoken": token, "attachment": attachment.pk, "decision": "send"})
    attachment.refresh_from_db()
    assert attachment.state == Attachment.State.SENT


def test_a_dropped_held_file_is_deleted_from_the_store(org: Setup, client: Client, settings: object) -> None:
    from tipline import blobstore

    blob = SimpleUploadedFile("notes.xyz", b"raw notes", content_type="application/octet-stream")
    client.post(URL, _answers(csrf_token(client, URL), f_files=blob))
    attachment = Attachment.objects.get()
    token = csrf_token(client, "/portal/report/")
    client.post("/portal/held/", {"csrfmiddlewaretoken": token, "attachment": attachment.pk, "decision": "drop"})
    assert not Attachment.objects.exists()
    assert list(blobstore.get_store().names()) == []


@pytest.mark.parametrize("missing", ["q_what", "q_kind"])
def test_a_missing_required_answer_returns_the_form_filled_in(org: Setup, client: Client, missing: str) -> None:
    data = _answers(csrf_token(client, URL), q_where="Town hall")
    data.pop(missing)
    response = client.post(URL, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "This field is required" in body
    assert "Town hall" in body
    assert Report.objects.count() == 0


def test_an_unknown_channel_is_404(org: Setup, client: Client) -> None:
    response = client.get("/report/nope/")
    assert response.status_code == 404
    assert "no longer accepts reports" in response.content.decode()
