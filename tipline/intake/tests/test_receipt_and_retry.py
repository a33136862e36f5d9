"""The reporter's moments on the web form: the receipt kept for the session, the failed
send that keeps its files, and the form itself (summary first, required marks)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tipline import blobstore
from tipline.conftest import PASSWORD, Setup, csrf_token, jpeg_with_exif
from tipline.intake import services as kept_files
from tipline.intake.models import KeptUpload
from tipline.register import services
from tipline.register.models import Attachment, Channel, FieldType, Question, Report

URL = "/report/web/"


def _answers(token: str, **extra: object) -> dict[str, object]:
    data: dict[str, object] = {"csrfmiddlewaretoken": token, "q_what": "Cash in envelopes", "q_kind": "Bribery"}
    data.update(extra)
    return data


def _start(client: Client, **extra: object) -> dict[str, object]:
    """The answers of a fresh form page, with its CSRF token and its random form token."""
    page = client.get(URL)
    return _answers(str(page.context["csrf_token"]), form_token=_form_token(page.content.decode()), **extra)


def _form_token(body: str) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', body)
    assert match
    return match.group(1)


def _receipt(client: Client) -> str | None:
    match = re.search(r'id="receipt">([\d ]+)<', client.get("/receipt/").content.decode())
    return match.group(1) if match else None


def _every_byte_at_rest() -> bytes:
    sessions = b"".join(s.session_data.encode() for s in Session.objects.all())
    rows = b"".join(bytes(k.meta_ct) + k.blob.encode() + k.question.encode() for k in KeptUpload.objects.all())
    store = blobstore.get_store()
    blobs = b"".join(b"".join(store.read(name)) for name in store.names())
    return sessions + rows + blobs


# -- the receipt ---------------------------------------------------------------------------


def test_the_kept_receipt_rests_only_encrypted_in_the_session(org: Setup, client: Client) -> None:
    client.post(URL, _answers(csrf_token(client, URL)))
    receipt = _receipt(client)
    assert receipt
    assert receipt.replace(" ", "").encode() not in _every_byte_at_rest()
    assert receipt.encode() not in _every_byte_at_rest()


def test_the_receipt_page_says_when_to_come_back(org: Setup, client: Client) -> None:
    client.post(URL, _answers(csrf_token(client, URL)))
    report = Report.objects.get()
    assert report.ack_due_at is not None
    body = client.get("/receipt/").content.decode()
    assert "When to come back" in body
    assert f"{report.ack_due_at:%Y}" in body
    assert 'class="receipt-panel"' in body
    assert "I have written down my receipt" in body


def test_deciding_held_files_on_the_receipt_page_also_confirms_the_receipt(org: Setup, client: Client) -> None:
    odd = SimpleUploadedFile("notes.xyz", b"raw notes", content_type="application/octet-stream")
    client.post(URL, _answers(csrf_token(client, URL), f_files=odd))
    attachment = Attachment.objects.get(state=Attachment.State.HELD)
    assert _receipt(client)
    token = csrf_token(client, "/receipt/")
    response = client.post(
        "/portal/held/", {"csrfmiddlewaretoken": token, "receipt_written": "1", f"decision_{attachment.pk}": "send"}
    )
    assert response.status_code == 302
    assert _receipt(client) is None


def test_the_receipt_goes_with_the_session(org: Setup, client: Client) -> None:
    client.post(URL, _answers(csrf_token(client, URL)))
    assert _receipt(client)
    client.post("/portal/logout/", {"csrfmiddlewaretoken": csrf_token(client, "/receipt/")})
    assert client.get("/receipt/").status_code == 302  # no report unlocked: to the log-in page


def test_a_portal_page_links_back_to_a_receipt_not_yet_confirmed(org: Setup, client: Client) -> None:
    client.post(URL, _answers(csrf_token(client, URL)))
    assert "Show my receipt again" in client.get("/portal/report/").content.decode()
    client.post("/receipt/", {"csrfmiddlewaretoken": csrf_token(client, "/receipt/")})
    assert "Show my receipt again" not in client.get("/portal/report/").content.decode()


# -- the channel chooser ------------------------------------------------------------------


def test_with_one_open_form_the_chooser_goes_straight_to_it(org: Setup, client: Client) -> None:
    response = client.get("/report/")
    assert response.status_code == 302
    assert response["Location"] == URL


def test_with_two_open_forms_the_chooser_lists_them(org: Setup, client: Client) -> None:
    second = Channel.objects.create(slug="second", name="Second form", description="Other")
    services.publish_questionnaire(channel=second)
    assert client.get("/report/").status_code == 302  # a form that asks nothing is not offered
    Question.objects.create(channel=second, key="what", field_type=FieldType.LONG_TEXT, label="What?")
    services.publish_questionnaire(channel=second)
    body = client.get("/report/").content.decode()
    assert "Second form" in body
    assert "Web tips" in body


# -- the form and a failed send -----------------------------------------------------------


def test_the_form_marks_required_questions_and_lets_the_browser_check_them(org: Setup, client: Client) -> None:
    body = client.get(URL).content.decode()
    assert "novalidate" not in body
    assert re.search(r'<textarea[^>]*name="q_what"[^>]*required', body)
    assert re.search(r'<input[^>]*name="q_kind"[^>]*required', body)
    assert not re.search(r'<textarea[^>]*name="q_where"[^>]*required', body)
    assert body.count('<span class="required">') == 2
    assert 'class="site-header public-header"' in body, "the public header on the form too"


def test_the_privacy_notice_is_two_lines_with_the_rest_behind_a_link(org: Setup, client: Client) -> None:
    body = client.get(URL).content.decode()
    notice = body[
        body.index('class="notice privacy-summary"') : body.index("</section>", body.index("privacy-summary"))
    ]
    summary, _, details = notice.partition("<details>")
    assert summary.count("<p>") == 2
    assert "<summary>" in details


def test_a_refused_send_puts_an_error_summary_first_and_in_the_title(org: Setup, client: Client) -> None:
    response = client.post(URL, _answers(csrf_token(client, URL), q_what="   "))
    assert response.status_code == 400
    body = response.content.decode()
    assert re.search(r"<title>Error: ", body)
    main = body[body.index('<main id="main"') :]
    assert main.index('class="error-summary"') < main.index("<h1>"), "the summary comes first"
    assert 'role="alert"' in main[: main.index("<h1>")]
    assert re.search(r'<h2 id="error-summary-title" tabindex="-1" autofocus>', body)
    assert 'href="#id_q_what"' in body
    assert 'id="id_q_what"' in body
    # The label ends in its own question mark: no colon after it.
    assert '<a href="#id_q_what">What happened? This field is required.</a>' in body
    data = _answers(csrf_token(client, URL))
    data.pop("q_kind")
    assert '<a href="#id_q_kind_0">Kind: This field is required.</a>' in client.post(URL, data).content.decode()
    # In Chinese the colon is full width, with no space after it.
    client.cookies["django_language"] = "zh-hans"
    data["csrfmiddlewaretoken"] = csrf_token(client, URL)
    chinese = client.post(URL, data).content.decode()
    assert re.search(r'<a href="#id_q_kind_0">[^<]*\uff1a[^ <][^<]*</a>', chinese), "Kind\uff1aThis field is required."
    assert '<span class="required">\uff08' in chinese, "(required) in full-width brackets"


def test_the_summary_links_a_choice_to_its_first_option_and_a_file_to_its_input(org: Setup, client: Client) -> None:
    question = org.channel.questions.get(key="files")
    question.required = True
    question.save()
    services.publish_questionnaire(channel=org.channel)
    data = _answers(csrf_token(client, URL))
    data.pop("q_kind")
    body = client.post(URL, data).content.decode()
    assert 'href="#id_q_kind_0"' in body
    assert 'id="id_q_kind_0"' in body
    assert 'href="#f_files"' in body
    assert 'id="f_files"' in body


def test_a_refused_send_keeps_its_files_cleaned_and_encrypted(org: Setup, client: Client) -> None:
    marker = "KEPTcamera77"
    photo = SimpleUploadedFile("KEPTname55.jpg", jpeg_with_exif(marker), content_type="image/jpeg")
    response = client.post(URL, _start(client, q_what="", f_files=photo))
    assert response.status_code == 400
    body = response.content.decode()
    assert "KEPTname55.jpg" in body
    assert "kept, will be sent" in body
    assert "you need not choose them again" in body
    kept = KeptUpload.objects.get()
    assert kept.question == "files"
    at_rest = _every_byte_at_rest()
    for secret in (marker, "KEPTname55", "Cash in envelopes"):
        assert secret.encode() not in at_rest, secret
    assert b"\xff\xd8\xff" not in b"".join(blobstore.get_store().read(kept.blob))


def test_the_retry_sends_the_kept_files_without_choosing_them_again(org: Setup, client: Client) -> None:
    from tipline.accounts.services import unlock_private_key
    from tipline.cases import services as cases

    photo = SimpleUploadedFile("evidence.jpg", jpeg_with_exif("RetryCam"), content_type="image/jpeg")
    body = client.post(URL, _start(client, q_what="", f_files=photo)).content.decode()
    old_blob = KeptUpload.objects.get().blob
    response = client.post(URL, _answers(csrf_token(client, URL), form_token=_form_token(body)))
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert attachment.state == Attachment.State.SENT
    assert attachment.blob != old_blob
    key = unlock_private_key(user=org.handler, password=PASSWORD)
    info, chunks = cases.download_attachment(attachment=attachment, user=org.handler, private_key=key)
    data = b"".join(chunks)
    assert info.name == "evidence.jpg"
    assert info.cleaned
    assert data.startswith(b"\xff\xd8")
    assert b"RetryCam" not in data
    assert not KeptUpload.objects.exists()
    assert set(blobstore.get_store().names()) == {attachment.blob}, "the kept copy is deleted"


def test_a_kept_file_satisfies_a_required_file_question(org: Setup, client: Client) -> None:
    question = org.channel.questions.get(key="files")
    question.required = True
    question.save()
    services.publish_questionnaire(channel=org.channel)
    photo = SimpleUploadedFile("evidence.jpg", jpeg_with_exif(), content_type="image/jpeg")
    body = client.post(URL, _start(client, q_what="", f_files=photo)).content.decode()
    assert not re.search(r'<input type="file" name="f_files"[^>]* required', body), "the browser must not ask again"
    response = client.post(URL, _answers(csrf_token(client, URL), form_token=_form_token(body)))
    assert response.status_code == 302
    assert Attachment.objects.count() == 1


def test_the_reporter_removes_a_kept_file_and_keeps_the_answers(org: Setup, client: Client) -> None:
    first = SimpleUploadedFile("one.jpg", jpeg_with_exif(), content_type="image/jpeg")
    second = SimpleUploadedFile("two.jpg", jpeg_with_exif(), content_type="image/jpeg")
    body = client.post(URL, _start(client, q_what="", f_files=[first, second])).content.decode()
    one = KeptUpload.objects.order_by("pk").first()
    assert one is not None
    data = _answers(
        csrf_token(client, URL), q_what="Still typing", form_token=_form_token(body), remove_kept=str(one.pk)
    )
    data.pop("q_kind")  # not answered yet: no complaint, as nothing was sent
    response = client.post(URL, data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Still typing" in page
    assert "one.jpg" not in page
    assert "two.jpg" in page
    assert "error-summary" not in page, "removing a file is not a failed send"
    assert "This field is required" not in page
    assert "<title>Error" not in page
    assert KeptUpload.objects.count() == 1
    assert one.blob not in set(blobstore.get_store().names())
    assert not Report.objects.exists()


def test_kept_files_open_only_in_the_session_that_sent_them(org: Setup, client: Client) -> None:
    photo = SimpleUploadedFile("mine.jpg", jpeg_with_exif(), content_type="image/jpeg")
    body = client.post(URL, _start(client, q_what="", f_files=photo)).content.decode()
    stranger = Client(enforce_csrf_checks=True)
    page = stranger.post(URL, _answers(csrf_token(stranger, URL), q_what="", form_token=_form_token(body)))
    assert "mine.jpg" not in page.content.decode()
    response = stranger.post(URL, _answers(csrf_token(stranger, URL), form_token=_form_token(body)))
    assert response.status_code == 302
    assert not Attachment.objects.exists(), "a stranger with the page's token gets none of its files"
    assert KeptUpload.objects.count() == 1


def test_kept_and_new_files_together_keep_to_the_file_count_limit(org: Setup, client: Client, settings: object) -> None:
    settings.TIPLINE_MAX_FILES = 2  # type: ignore[attr-defined]
    first = [SimpleUploadedFile(f"{n}.jpg", jpeg_with_exif(), content_type="image/jpeg") for n in ("a", "b")]
    body = client.post(URL, _start(client, q_what="", f_files=first)).content.decode()
    more = SimpleUploadedFile("c.jpg", jpeg_with_exif(), content_type="image/jpeg")
    response = client.post(URL, _answers(csrf_token(client, URL), form_token=_form_token(body), f_files=more))
    assert response.status_code == 413
    assert not Report.objects.exists()
    assert KeptUpload.objects.count() == 2, "the kept files stay; the extra one is not kept"


def test_abandoned_kept_files_are_purged_and_the_orphan_sweep_spares_fresh_ones(org: Setup, client: Client) -> None:
    photo = SimpleUploadedFile("left.jpg", jpeg_with_exif(), content_type="image/jpeg")
    client.post(URL, _start(client, q_what="", f_files=photo))
    kept = KeptUpload.objects.get()
    assert services.sweep_orphan_blobs(min_age_seconds=0) == 0
    assert kept.blob in set(blobstore.get_store().names())
    assert kept_files.purge_stale_kept() == 0
    assert kept_files.purge_stale_kept(now=timezone.now() + timedelta(hours=3)) == 1
    assert not KeptUpload.objects.exists()
    assert list(blobstore.get_store().names()) == []


@pytest.mark.parametrize("junk", ["abc", "-1", "99999999999999999999", ""])
def test_a_junk_removal_is_ignored(org: Setup, client: Client, junk: str) -> None:
    response = client.post(URL, _answers(csrf_token(client, URL), q_what="", remove_kept=junk))
    assert response.status_code in {200, 400}


# -- one header, and reporting first ------------------------------------------------------


def test_the_home_page_opens_with_the_call_to_report_and_to_check_a_report(org: Setup, client: Client) -> None:
    body = client.get("/").content.decode()
    first = body.index('class="report-first"')
    assert first < body.index('id="latest-title"')
    section = body[first : body.index("</section>", first)]
    assert "Report in confidence" in section
    assert "Check your report" in section


@pytest.mark.parametrize("path", ["/report/web/", "/portal/"])
def test_reporter_pages_wear_the_public_header(org: Setup, client: Client, path: str) -> None:
    body = client.get(path).content.decode()
    assert 'class="site-header public-header"' in body
    assert "How to report" in body
    assert 'class="lang-switch lang-links"' in body
    assert "Leave quickly" in body


def test_a_retry_sent_twice_stores_the_second_copy_without_the_files_the_first_took(
    org: Setup, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without JavaScript a double click sends the retry twice; the copy that comes second
    finds the kept files gone with the first, and is stored without them (never a 500)."""
    from tipline.register.services import submission

    photo = SimpleUploadedFile("twice.jpg", jpeg_with_exif(), content_type="image/jpeg")
    body = client.post(URL, _start(client, q_what="", f_files=photo)).content.decode()

    def taken_by_the_first_copy(**kwargs: object) -> object:
        KeptUpload.objects.all().delete()
        raise FileNotFoundError

    monkeypatch.setattr(submission, "adopt_sealed", taken_by_the_first_copy)
    response = client.post(URL, _answers(csrf_token(client, URL), form_token=_form_token(body)))
    assert response.status_code == 302
    assert Report.objects.count() == 1
    assert not Attachment.objects.exists()


def test_removing_a_kept_file_while_adding_too_many_is_refused_cleanly(
    org: Setup, client: Client, settings: object
) -> None:
    settings.TIPLINE_MAX_FILES = 2  # type: ignore[attr-defined]
    first = [SimpleUploadedFile(f"{n}.jpg", jpeg_with_exif(), content_type="image/jpeg") for n in ("a", "b")]
    body = client.post(URL, _start(client, q_what="", f_files=first)).content.decode()
    one = KeptUpload.objects.order_by("pk").first()
    assert one is not None
    more = [SimpleUploadedFile(f"{n}.jpg", jpeg_with_exif(), content_type="image/jpeg") for n in ("c", "d")]
    data = _answers(csrf_token(client, URL), form_token=_form_token(body), remove_kept=str(one.pk), f_files=more)
    response = client.post(URL, data)
    assert response.status_code == 413
    assert KeptUpload.objects.count() == 1
    assert not Report.objects.exists()
