from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tipline.conftest import Setup, csrf_token, jpeg_with_exif
from tipline.register.models import Attachment, Report

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


def test_the_receipt_is_shown_again_on_reload_until_the_reporter_confirms(org: Setup, client: Client) -> None:
    client.post(URL, _answers(csrf_token(client, URL)))
    receipt = _receipt_from(client)
    assert _receipt_from(client) == receipt, "a reload shows it again"
    token = csrf_token(client, "/receipt/")
    confirmed = client.post("/receipt/", {"csrfmiddlewaretoken": token})
    assert confirmed.status_code == 302
    assert confirmed["Location"] == "/portal/report/"
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


@pytest.mark.parametrize("length", [204, 950])
def test_a_photo_with_a_long_name_is_taken_cleaned_and_keeps_its_extension(
    org: Setup, client: Client, length: int
) -> None:
    """A name over 200 characters lost its extension when cut, so cleaning was skipped and
    GPS and camera reached the handler; about 950 characters failed the whole form."""
    from tipline.accounts.services import unlock_private_key
    from tipline.cases import services as cases
    from tipline.conftest import PASSWORD

    name = "p" * (length - 4) + ".jpg"
    photo = SimpleUploadedFile(name, jpeg_with_exif("SecretCam-9"), content_type="image/jpeg")
    response = client.post(URL, _answers(csrf_token(client, URL), f_files=photo))
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.state == Attachment.State.SENT
    key = unlock_private_key(user=org.handler, password=PASSWORD)
    info, chunks = cases.download_attachment(attachment=attachment, user=org.handler, private_key=key)
    data = b"".join(chunks)
    assert info.cleaned
    assert len(info.name) == 200
    assert info.name.endswith("pp.jpg")
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
    client.post("/portal/held/", {"csrfmiddlewaretoken": token, f"decision_{attachment.pk}": "send"})
    attachment.refresh_from_db()
    assert attachment.state == Attachment.State.SENT


def test_a_dropped_held_file_is_deleted_from_the_store(org: Setup, client: Client, settings: object) -> None:
    from tipline import blobstore

    blob = SimpleUploadedFile("notes.xyz", b"raw notes", content_type="application/octet-stream")
    client.post(URL, _answers(csrf_token(client, URL), f_files=blob))
    attachment = Attachment.objects.get()
    token = csrf_token(client, "/portal/report/")
    client.post("/portal/held/", {"csrfmiddlewaretoken": token, f"decision_{attachment.pk}": "drop"})
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


def test_held_files_are_decided_on_the_receipt_page_in_one_form_that_leads_on(org: Setup, client: Client) -> None:
    files = [
        SimpleUploadedFile(name, b"raw notes", content_type="application/octet-stream")
        for name in ("a.xyz", "b.xyz", "c.xyz")
    ]
    client.post(URL, _answers(csrf_token(client, URL), f_files=files))
    first, second, third = Attachment.objects.order_by("pk")
    response = client.get("/receipt/")
    page = response.content.decode()
    assert re.search(r"\d{4} \d{4} \d{4} \d{4}", page), "the receipt is on the page with the decisions"
    assert 'name="language"' not in page, "no language switch that would reload the page without the receipt"
    assert page.count('type="radio"') == 6
    token = str(response.context["csrf_token"])
    decided = client.post(
        "/portal/held/",
        {"csrfmiddlewaretoken": token, f"decision_{first.pk}": "send", f"decision_{second.pk}": "drop"},
        follow=True,
    )
    assert decided.redirect_chain[0][0] == "/portal/report/"
    body = decided.content.decode()
    assert "1 file was sent as it is." in body
    assert "1 file was deleted and will not be sent." in body
    assert sorted(Attachment.objects.values_list("pk", "state")) == [
        (first.pk, Attachment.State.SENT),
        (third.pk, Attachment.State.HELD),  # undecided: waits in the portal
    ]


def test_a_decision_on_a_file_already_decided_or_not_held_changes_nothing(org: Setup, client: Client) -> None:
    blob = SimpleUploadedFile("notes.xyz", b"raw notes", content_type="application/octet-stream")
    client.post(URL, _answers(csrf_token(client, URL), f_files=blob))
    attachment = Attachment.objects.get()
    token = csrf_token(client, "/portal/report/")
    client.post("/portal/held/", {"csrfmiddlewaretoken": token, f"decision_{attachment.pk}": "send"})
    again = client.post(
        "/portal/held/", {"csrfmiddlewaretoken": token, f"decision_{attachment.pk}": "drop"}, follow=True
    )
    assert "No file was changed" in again.content.decode()
    assert Attachment.objects.get().state == Attachment.State.SENT


def test_a_form_sent_after_the_questions_changed_comes_back_with_the_answers(org: Setup, client: Client) -> None:
    from tipline.register import services
    from tipline.register.models import FieldType, Question

    token = csrf_token(client, URL)
    old_version = org.channel.current_questionnaire()
    assert old_version is not None
    Question.objects.create(channel=org.channel, order=99, key="who", field_type=FieldType.SHORT_TEXT, label="Who?")
    services.publish_questionnaire(channel=org.channel)
    response = client.post(URL, _answers(token, version=str(old_version.number)))
    assert response.status_code == 400
    page = response.content.decode()
    assert "The questions of this form changed while you were answering." in page
    assert "The mayor took cash from a builder" in page
    assert not Report.objects.exists()
    current = org.channel.current_questionnaire()
    assert current is not None
    assert f'name="version" value="{current.number}"' in page
    assert client.post(URL, _answers(token, version=str(current.number))).status_code == 302


def test_a_required_file_question_needs_a_file(org: Setup, client: Client) -> None:
    from tipline.register import services
    from tipline.register.models import Question

    Question.objects.filter(channel=org.channel, key="files").update(required=True)
    services.publish_questionnaire(channel=org.channel)
    token = csrf_token(client, URL)
    response = client.post(URL, _answers(token))
    assert response.status_code == 400
    assert "Attach at least one file for “Files”." in response.content.decode()
    assert not Report.objects.exists()
    photo = SimpleUploadedFile("p.jpg", jpeg_with_exif(), content_type="image/jpeg")
    assert client.post(URL, _answers(token, f_files=photo)).status_code == 302


def test_without_a_supervisor_the_form_offers_no_identity_and_refuses_one(org: Setup, client: Client) -> None:
    org.supervisor.is_active = False
    org.supervisor.save()
    page = client.get(URL).content.decode()
    assert 'name="identity"' not in page
    assert "nobody can receive an identity on this channel just now" in page
    token = csrf_token(client, URL)
    response = client.post(URL, _answers(token, identity="Jane Roe"))
    assert response.status_code == 400
    assert "Nobody can receive an identity" in response.content.decode()
    assert not Report.objects.exists()


def test_the_service_never_seals_an_identity_to_nobody(org: Setup) -> None:
    from tipline.register import services
    from tipline.register.exceptions import IdentityNotReceivable

    org.supervisor.is_active = False
    org.supervisor.save()
    version = org.channel.current_questionnaire()
    assert version is not None
    with pytest.raises(IdentityNotReceivable):
        services.create_report(
            channel=org.channel, questionnaire=version, answers={"what": "x", "kind": "Fraud"}, identity="Jane"
        )
    assert not Report.objects.exists()


def test_answers_stay_out_of_the_browsers_form_history(org: Setup, client: Client) -> None:
    page = client.get(URL).content.decode()
    for name in ("q_what", "q_where", "identity"):
        tag = re.search(rf"<(?:input|textarea)[^>]*name=\"{name}\"[^>]*>", page)
        assert tag, name
        assert 'autocomplete="off"' in tag.group(0), name


def test_a_date_in_another_format_is_explained(org: Setup, client: Client) -> None:
    response = client.post(URL, _answers(csrf_token(client, URL), q_when="01/10/2026"))
    assert response.status_code == 400
    assert "Enter the date as year-month-day, for example 2026-03-31." in response.content.decode()


def test_a_full_upload_folder_gets_a_503_that_says_what_to_do(
    org: Setup, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from tipline.register import uploads

    def full(self: object, raw_data: bytes, start: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(uploads.MemoryBackedUploadHandler, "receive_data_chunk", full)
    photo = SimpleUploadedFile("p.jpg", jpeg_with_exif(), content_type="image/jpeg")
    response = client.post(URL, _answers(csrf_token(client, URL), f_files=photo))
    assert response.status_code == 503
    assert "try again in a few minutes" in response.content.decode()
    assert not Report.objects.exists()


def test_a_full_cleaning_folder_during_submission_gets_a_503_and_stores_nothing(
    org: Setup, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from tipline import blobstore
    from tipline.register import services

    def full(**kwargs: object) -> object:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(services.files, "_prepare_attachment", full)
    photo = SimpleUploadedFile("p.jpg", jpeg_with_exif(), content_type="image/jpeg")
    response = client.post(URL, _answers(csrf_token(client, URL), f_files=photo))
    assert response.status_code == 503
    assert not Report.objects.exists()
    assert list(blobstore.get_store().names()) == []
