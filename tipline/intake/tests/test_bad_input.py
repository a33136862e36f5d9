"""Every bad input gets a clear message and a fitting status; nothing is half-written."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tipline import blobstore
from tipline.conftest import Setup, csrf_token
from tipline.register import services
from tipline.register.models import Attachment, Report

URL = "/report/web/"


def _answers(token: str) -> dict[str, object]:
    return {"csrfmiddlewaretoken": token, "q_what": "Something happened", "q_kind": "Fraud"}


def _nothing_stored() -> bool:
    return not Report.objects.exists() and not Attachment.objects.exists() and not list(blobstore.get_store().names())


def test_a_file_over_the_limit_is_refused_with_413_naming_the_limit(
    org: Setup, client: Client, settings: object
) -> None:
    settings.TIPLINE_MAX_FILE_SIZE = 1024  # type: ignore[attr-defined]
    big = SimpleUploadedFile("big.txt", b"x" * 5000, content_type="text/plain")
    response = client.post(URL, {**_answers(csrf_token(client, URL)), "f_files": big})
    assert response.status_code == 413
    assert "1.0\xa0KB" in response.content.decode()
    assert _nothing_stored()


def test_files_together_over_the_total_limit_are_refused_with_413(org: Setup, client: Client, settings: object) -> None:
    settings.TIPLINE_MAX_TOTAL_SIZE = 3000  # type: ignore[attr-defined]
    files = [SimpleUploadedFile(f"f{i}.txt", b"y" * 1500, content_type="text/plain") for i in range(3)]
    response = client.post(URL, {**_answers(csrf_token(client, URL)), "f_files": files})
    assert response.status_code == 413
    assert "together" in response.content.decode()
    assert _nothing_stored()


def test_a_body_larger_than_every_limit_is_refused_before_it_is_read(
    org: Setup, client: Client, settings: object
) -> None:
    settings.TIPLINE_MAX_TOTAL_SIZE = 10  # type: ignore[attr-defined]
    token = csrf_token(client, URL)
    response = client.post(URL, {**_answers(token), "q_where": "z" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert _nothing_stored()


def test_a_post_that_cannot_pass_the_csrf_check_is_refused_before_its_body_is_read(
    org: Setup, settings: object
) -> None:
    """A 200 MiB body without a CSRF cookie got 413 (its size was judged first): it cannot be
    valid whatever it holds, so it is refused as the CSRF check would, 403, unread."""
    from django.test import RequestFactory

    from tipline.intake.views import submit
    from tipline.site.middleware import RequestBodyMiddleware

    class Unreadable:
        def read(self, *args: object) -> bytes:
            raise AssertionError("the body was read")

        readline = read

    settings.TIPLINE_MAX_TOTAL_SIZE = 10  # type: ignore[attr-defined]
    middleware = RequestBodyMiddleware(lambda request: None)  # type: ignore[arg-type, return-value]
    for cookies, origin in (({}, None), ({"csrftoken": "x" * 32}, "https://elsewhere.example")):
        request = RequestFactory().post(URL, data=b"", content_type="multipart/form-data; boundary=x")
        request.META.update({"CONTENT_LENGTH": str(200 * 1024 * 1024), "wsgi.input": Unreadable()})
        request._stream = Unreadable()  # type: ignore[attr-defined]
        request.COOKIES.update(cookies)
        if origin:
            request.META["HTTP_ORIGIN"] = origin
        response = middleware.process_view(request, submit, (), {"slug": "web"})
        assert response is not None
        assert response.status_code == 403


def test_a_big_post_without_a_csrf_cookie_gets_403_not_413(org: Setup, settings: object) -> None:
    settings.TIPLINE_MAX_TOTAL_SIZE = 10  # type: ignore[attr-defined]
    fresh = Client(enforce_csrf_checks=True)  # never loaded the form: no CSRF cookie
    response = fresh.post(URL, {"q_what": "z" * (3 * 1024 * 1024)})
    assert response.status_code == 403
    assert _nothing_stored()


def test_too_many_files_are_refused_with_a_message_naming_the_count(
    org: Setup, client: Client, settings: object
) -> None:
    settings.TIPLINE_MAX_FILES = 2  # type: ignore[attr-defined]
    files = [SimpleUploadedFile(f"f{i}.txt", b"data", content_type="text/plain") for i in range(3)]
    response = client.post(URL, {**_answers(csrf_token(client, URL)), "f_files": files})
    assert response.status_code == 413
    assert "at most 2 files" in response.content.decode()
    assert _nothing_stored()


def test_a_missing_csrf_token_is_403_with_advice(org: Setup, client: Client) -> None:
    client.get(URL)
    response = client.post(URL, {"q_what": "x", "q_kind": "Fraud"})
    assert response.status_code == 403
    assert "reload the page" in response.content.decode()
    assert _nothing_stored()


def test_a_forged_csrf_token_is_403(org: Setup, client: Client) -> None:
    client.get(URL)
    response = client.post(URL, {"csrfmiddlewaretoken": "A" * 64, "q_what": "x", "q_kind": "Fraud"})
    assert response.status_code == 403
    assert _nothing_stored()


def test_a_malformed_multipart_body_is_400_with_advice(org: Setup, client: Client) -> None:
    csrf_token(client, URL)
    body = b'--XYZ\r\nContent-Disposition: form-data; name="q_what"\r\n\r\nunterminated'
    response = client.generic("POST", URL, body, content_type="multipart/form-data; boundary=", HTTP_X_CSRFTOKEN="x")
    assert response.status_code == 400
    assert "damaged" in response.content.decode()
    assert _nothing_stored()


def test_invalid_utf8_gets_a_field_error_and_400(org: Setup, client: Client) -> None:
    token = csrf_token(client, URL)
    body = f"csrfmiddlewaretoken={token}&q_kind=Fraud&q_what=".encode() + b"caf\xe9\xff"
    response = client.generic("POST", URL, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "not valid UTF-8" in response.content.decode()
    assert _nothing_stored()


def test_an_answer_longer_than_its_limit_gets_a_field_error(org: Setup, client: Client) -> None:
    token = csrf_token(client, URL)
    response = client.post(URL, {**_answers(token), "q_where": "w" * 101})
    assert response.status_code == 400
    assert "at most 100 characters" in response.content.decode()
    assert _nothing_stored()


def test_absurdly_long_fields_are_refused_with_413(org: Setup, client: Client, settings: object) -> None:
    token = csrf_token(client, URL)
    response = client.post(URL, {**_answers(token), "q_what": "w" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "too long" in response.content.decode()
    assert _nothing_stored()


def test_a_choice_that_is_not_offered_is_refused(org: Setup, client: Client) -> None:
    token = csrf_token(client, URL)
    response = client.post(URL, {**_answers(token), "q_kind": "Murder"})
    assert response.status_code == 400
    assert _nothing_stored()


def test_a_failure_during_commit_leaves_no_row_and_no_file(
    org: Setup, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(Attachment.objects, "bulk_create", explode)
    files = [SimpleUploadedFile(f"f{i}.xyz", b"data", content_type="text/plain") for i in range(2)]
    token = csrf_token(client, URL)
    with pytest.raises(RuntimeError):
        client.post(URL, {**_answers(token), "f_files": files})
    assert _nothing_stored()


def test_a_failure_while_storing_the_second_file_removes_the_first(
    org: Setup, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    store = blobstore.get_store()
    real_write = store.write
    calls = {"n": 0}

    def flaky_write(name: str, chunks: object) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("store unavailable")
        return real_write(name, chunks)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "write", flaky_write)
    paths = []
    for i in range(2):
        path = tmp_path / f"in{i}.xyz"  # type: ignore[operator]
        path.write_bytes(b"content")
        paths.append(services.IncomingFile(path=path, name=f"in{i}.xyz", size=7))
    version = org.channel.current_questionnaire()
    assert version is not None
    with pytest.raises(OSError, match="store unavailable"):
        services.create_report(channel=org.channel, questionnaire=version, answers={"what": "x"}, files=paths)
    assert _nothing_stored()


def test_a_closed_channel_is_404(org: Setup, client: Client) -> None:
    org.channel.is_active = False
    org.channel.save()
    assert client.get(URL).status_code == 404


def test_a_file_over_the_limit_brings_the_form_back_with_the_answers_and_the_identity(
    org: Setup, client: Client, settings: object
) -> None:
    settings.TIPLINE_MAX_FILE_SIZE = 1024  # type: ignore[attr-defined]
    big = SimpleUploadedFile("big.txt", b"x" * 5000, content_type="text/plain")
    data = {**_answers(csrf_token(client, URL)), "q_where": "Harbour office", "identity": "Jane Roe, 555-0100"}
    response = client.post(URL, {**data, "f_files": big})  # the browser sends the files last
    assert response.status_code == 413
    page = response.content.decode()
    assert "1.0\xa0KB" in page
    for kept in ("Something happened", "Harbour office", "Jane Roe, 555-0100"):
        assert kept in page, kept
    assert 'name="q_what"' in page, "the form itself, not a bare error page"
    assert _nothing_stored()


def _in_the_portal_with_a_1_kb_file_limit(
    org: Setup, client: Client, settings: object
) -> tuple[services.Submission, SimpleUploadedFile, str]:
    """A reporter logged in to the portal; a 5 KB file over a 1 KB limit; the portal's CSRF token."""
    version = org.channel.current_questionnaire()
    assert version is not None
    submission = services.create_report(
        channel=org.channel, questionnaire=version, answers={"what": "x", "kind": "Fraud"}
    )
    token = csrf_token(client, "/portal/")
    client.post("/portal/", {"csrfmiddlewaretoken": token, "receipt": submission.receipt})
    settings.TIPLINE_MAX_FILE_SIZE = 1024  # type: ignore[attr-defined]
    big = SimpleUploadedFile("big.txt", b"x" * 5000, content_type="text/plain")
    return submission, big, csrf_token(client, "/portal/report/")


def test_a_reply_with_a_file_over_the_limit_comes_back_with_the_message(
    org: Setup, client: Client, settings: object
) -> None:
    submission, big, token = _in_the_portal_with_a_1_kb_file_limit(org, client, settings)
    response = client.post(
        "/portal/report/", {"csrfmiddlewaretoken": token, "body": "Here is the contract", "files": big}
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert "Here is the contract" in page
    assert "1.0\xa0KB" in page
    assert not submission.report.messages.exists()


def test_a_view_that_cannot_show_its_form_again_still_gets_the_error_page(
    org: Setup, client: Client, settings: object
) -> None:
    _, big, token = _in_the_portal_with_a_1_kb_file_limit(org, client, settings)
    response = client.post("/portal/held/", {"csrfmiddlewaretoken": token, "f": big})
    assert response.status_code == 413
    assert "1.0\xa0KB" in response.content.decode()


def test_submissions_are_limited_per_client_then_by_a_shared_overflow(org: Setup, settings: object) -> None:
    """25 submissions from one client were all taken, each costing a derivation and the
    cleaning of its files. Now a client past its allowance is refused once the overflow
    is spent, its answers come back, nothing is stored; other clients are still served."""
    settings.TIPLINE_SUBMISSIONS_PER_CLIENT = 2  # type: ignore[attr-defined]
    settings.TIPLINE_SUBMISSIONS_OVERFLOW = 1  # type: ignore[attr-defined]
    flooding = Client(enforce_csrf_checks=True, REMOTE_ADDR="198.51.100.7")
    statuses = []
    for _ in range(5):
        statuses.append(flooding.post(URL, _answers(csrf_token(flooding, URL))).status_code)
    assert statuses == [302, 302, 302, 429, 429]
    assert Report.objects.count() == 3
    refused = flooding.post(URL, _answers(csrf_token(flooding, URL)))
    page = refused.content.decode()
    assert "Too many reports were sent from your connection" in page
    assert "Something happened" in page  # the answers come back
    other = Client(enforce_csrf_checks=True, REMOTE_ADDR="203.0.113.8")
    assert other.post(URL, _answers(csrf_token(other, URL))).status_code == 302
    assert Report.objects.count() == 4


def test_a_send_too_large_to_be_read_says_what_was_lost_and_leads_back_to_the_form(
    org: Setup, client: Client, settings: object
) -> None:
    """Beyond every limit together the body is not read (as a proxy's body limit would): the
    answers cannot come back, so the page says so, what to do, and links to the form."""
    settings.TIPLINE_MAX_TOTAL_SIZE = 10  # type: ignore[attr-defined]
    files = [SimpleUploadedFile("big.txt", b"x" * (3 * 1024 * 1024), content_type="text/plain")]
    response = client.post(URL, {**_answers(csrf_token(client, URL)), "f_files": files})
    assert response.status_code == 413
    html = response.content.decode()
    assert "what you typed could not be kept either" in html
    assert f'<a href="{URL}">Back to the form</a>' in html
    assert _nothing_stored()
