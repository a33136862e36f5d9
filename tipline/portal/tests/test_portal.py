from __future__ import annotations

import re
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tipline.accounts.services import unlock_private_key
from tipline.cases import services as cases
from tipline.conftest import PASSWORD, Setup, csrf_token
from tipline.register import services
from tipline.register.exceptions import InvalidReceipt
from tipline.register.models import Report
from tipline.register.services import receipts

LOGIN = "/portal/"


def _submit(org: Setup) -> tuple[Report, str]:
    version = org.channel.current_questionnaire()
    assert version is not None
    submission = services.create_report(
        channel=org.channel, questionnaire=version, answers={"what": "Contract rigging", "kind": "Fraud"}
    )
    return submission.report, submission.receipt


def _login(client: Client, receipt: str) -> object:
    token = csrf_token(client, LOGIN)
    return client.post(LOGIN, {"csrfmiddlewaretoken": token, "receipt": receipt})


def test_a_receipt_with_spaces_or_dashes_logs_in(org: Setup, client: Client) -> None:
    _, receipt = _submit(org)
    dashed = "-".join(receipt[i : i + 4] for i in range(0, 16, 4))
    response = _login(client, dashed)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert "Contract rigging" in client.get("/portal/report/").content.decode()


@pytest.mark.parametrize("wrong", ["1234 5678 9012 3456", "0000-0000-0000-0000"])
def test_a_wrong_receipt_gets_one_generic_message(org: Setup, client: Client, wrong: str) -> None:
    _submit(org)
    response = _login(client, wrong)
    assert response.status_code == 403  # type: ignore[attr-defined]
    assert "did not open a report" in response.content.decode()  # type: ignore[attr-defined]
    assert client.get("/portal/report/").status_code == 302


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("12", "A receipt has 16 digits, and this has 2."),
        ("1234 5678 9012 3456 7", "A receipt has 16 digits, and this has 17."),
        ("abcd efgh ijkl mnop", "A receipt has only the digits 0 to 9"),
        ("\u0663" * 16, "A receipt has only the digits 0 to 9"),  # Arabic-Indic digits
    ],
)
def test_what_cannot_be_a_receipt_is_said_plainly_and_costs_no_attempt(
    org: Setup, client: Client, settings: object, typed: str, said: str
) -> None:
    # Only the shape, which is public: the count of digits says nothing about any report.
    settings.TIPLINE_RECEIPT_ATTEMPTS = 1  # type: ignore[attr-defined]
    settings.TIPLINE_RECEIPT_OVERFLOW = 0  # type: ignore[attr-defined]
    _, receipt = _submit(org)
    response = _login(client, typed)
    assert response.status_code == 400  # type: ignore[attr-defined]
    page = response.content.decode()  # type: ignore[attr-defined]
    assert said in page
    assert "did not open a report" not in page
    assert _login(client, receipt).status_code == 302, "the one attempt allowed is still there"  # type: ignore[attr-defined]


def test_wrong_receipts_are_rate_limited_without_storing_the_address(
    org: Setup, client: Client, settings: object
) -> None:
    settings.TIPLINE_RECEIPT_ATTEMPTS = 3  # type: ignore[attr-defined]
    settings.TIPLINE_RECEIPT_OVERFLOW = 0  # type: ignore[attr-defined]
    _, receipt = _submit(org)
    for _ in range(3):
        assert _login(client, "0000 0000 0000 0000").status_code == 403  # type: ignore[attr-defined]
    blocked = _login(client, receipt)
    assert blocked.status_code == 429  # type: ignore[attr-defined]
    assert blocked["Retry-After"] == "3600"  # type: ignore[index]


def test_the_right_receipt_gets_in_while_someone_guesses_from_the_same_address(
    org: Setup, client: Client, settings: object
) -> None:
    """Ten wrong receipts used to lock everyone behind one Tor exit, NAT or onion service
    out for an hour, the right receipt included. Past its own allowance an address now goes
    on while the overflow shared by all such addresses lasts."""
    settings.TIPLINE_RECEIPT_ATTEMPTS = 3  # type: ignore[attr-defined]
    settings.TIPLINE_RECEIPT_OVERFLOW = 20  # type: ignore[attr-defined]
    _, receipt = _submit(org)
    guesser = Client(enforce_csrf_checks=True)  # the same address as the reporter (the test client's)
    for _ in range(10):
        assert _login(guesser, "0000 0000 0000 0000").status_code == 403  # type: ignore[attr-defined]
    assert _login(client, receipt).status_code == 302  # type: ignore[attr-defined]
    for _ in range(12):  # the rest of the overflow (20 - 7 - 1), then guessing stops
        assert _login(guesser, "0000 0000 0000 0000").status_code == 403  # type: ignore[attr-defined]
    assert _login(guesser, "0000 0000 0000 0000").status_code == 429  # type: ignore[attr-defined]


def test_the_reporter_is_logged_out_after_the_idle_timeout(
    org: Setup, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, receipt = _submit(org)
    _login(client, receipt)
    assert client.get("/portal/report/").status_code == 200
    later = time.time() + 16 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.get("/portal/report/")
    assert response.status_code == 302
    assert response["Location"] == LOGIN


def test_logging_out_locks_the_report_again(org: Setup, client: Client) -> None:
    _, receipt = _submit(org)
    _login(client, receipt)
    token = csrf_token(client, "/portal/report/")
    client.post("/portal/logout/", {"csrfmiddlewaretoken": token})
    assert client.get("/portal/report/").status_code == 302


def test_the_reporter_replies_with_a_file_and_the_handler_reads_both(org: Setup, client: Client) -> None:
    report, receipt = _submit(org)
    _login(client, receipt)
    token = csrf_token(client, "/portal/report/")
    note = SimpleUploadedFile("more.txt", b"extra evidence", content_type="text/plain")
    response = client.post("/portal/report/", {"csrfmiddlewaretoken": token, "body": "Here is more", "files": note})
    assert response.status_code == 302
    key = unlock_private_key(user=org.handler, password=PASSWORD)
    content = cases.open_case(report=report, user=org.handler, private_key=key)
    assert [m.body for m in content.messages] == ["Here is more"]
    assert [a.name for a in content.messages[0].attachments] == ["more.txt"]


def test_an_empty_reply_is_refused_with_a_message(org: Setup, client: Client) -> None:
    _, receipt = _submit(org)
    _login(client, receipt)
    token = csrf_token(client, "/portal/report/")
    response = client.post("/portal/report/", {"csrfmiddlewaretoken": token, "body": "  "})
    assert response.status_code == 400
    assert "Write a message or add a file" in response.content.decode()


def test_the_reporter_downloads_a_file_from_the_handler(org: Setup, client: Client, tmp_path: object) -> None:
    report, receipt = _submit(org)
    key = unlock_private_key(user=org.handler, password=PASSWORD)
    report_key = cases.report_key_for(report=report, user=org.handler, private_key=key)
    path = tmp_path / "form.pdf"  # type: ignore[operator]
    path.write_bytes(b"%PDF-1.4 handler form")
    services.post_message(
        report=report,
        report_key=report_key,
        body="Please fill this in",
        author=org.handler,
        files=[services.IncomingFile(path=path, name="form.pdf", size=path.stat().st_size)],
    )
    _login(client, receipt)
    page = client.get("/portal/report/").content.decode()
    assert "Please fill this in" in page
    link = re.search(r'href="(/portal/files/\d+/)"', page)
    assert link
    download = client.get(link.group(1))
    assert download["Content-Disposition"] == 'attachment; filename="form.pdf"'
    assert b"".join(download.streaming_content) == b"%PDF-1.4 handler form"  # type: ignore[attr-defined]


def test_a_right_receipt_counts_too_and_wipes_nothing(org: Setup, client: Client, settings: object) -> None:
    """Each log-in costs a derivation, right or wrong; a right one does not reset the count
    (it did once: unlimited guessing for anyone holding one receipt of their own)."""
    settings.TIPLINE_RECEIPT_ATTEMPTS = 4  # type: ignore[attr-defined]
    settings.TIPLINE_RECEIPT_OVERFLOW = 0  # type: ignore[attr-defined]
    _, receipt = _submit(org)
    for _ in range(2):
        assert _login(client, "0000 0000 0000 0000").status_code == 403  # type: ignore[attr-defined]
    assert _login(client, receipt).status_code == 302  # type: ignore[attr-defined]
    assert _login(client, "0000 0000 0000 0000").status_code == 403  # type: ignore[attr-defined]
    assert _login(client, "0000 0000 0000 0000").status_code == 429  # type: ignore[attr-defined]


def test_an_attempt_is_counted_before_its_derivation(org: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """Attempts sent all at once each wait for a derivation; they must not all pass the check first."""
    from tipline.limits import services as limits

    seen: list[int] = []
    derive = receipts.receipt_secrets

    def watched(*args: object, **kwargs: object) -> object:
        seen.append(limits.used(receipts.receipt_policy(), client_tag="burst")[0])
        return derive(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(receipts, "receipt_secrets", watched)
    for expected in (1, 2):
        with pytest.raises(InvalidReceipt):
            services.open_with_receipt(receipt_text="1111 2222 3333 4444", client_tag="burst")
        assert seen[-1] == expected


def test_a_receipt_typed_in_full_width_digits_logs_in(org: Setup, client: Client) -> None:
    _, receipt = _submit(org)
    wide = "　".join("".join(chr(ord(d) + 0xFEE0) for d in receipt[i : i + 4]) for i in range(0, 16, 4))
    assert _login(client, wide).status_code == 302  # type: ignore[attr-defined]


def test_a_report_destroyed_while_the_reporter_is_logged_in_takes_no_more_messages(org: Setup, client: Client) -> None:
    from django.utils import timezone

    report, receipt = _submit(org)
    _login(client, receipt)
    token = csrf_token(client, "/portal/report/")
    Report.objects.filter(pk=report.pk).update(purged_at=timezone.now(), answers_ct=None)
    note = SimpleUploadedFile("more.txt", b"extra evidence", content_type="text/plain")
    response = client.post("/portal/report/", {"csrfmiddlewaretoken": token, "body": "More", "files": note})
    assert response.status_code == 410
    assert not report.messages.exists()
    assert not report.attachments.exists()
    assert client.get("/portal/report/").status_code == 302, "the session was closed"


def test_a_file_number_too_long_for_the_database_is_a_404(org: Setup, client: Client) -> None:
    _, receipt = _submit(org)
    _login(client, receipt)
    assert client.get("/portal/files/" + "9" * 25 + "/").status_code == 404
    assert client.get("/portal/files/999999/").status_code == 404


def test_replies_are_limited_per_client_and_the_text_comes_back(org: Setup, client: Client, settings: object) -> None:
    settings.TIPLINE_REPLIES_PER_CLIENT = 2  # type: ignore[attr-defined]
    settings.TIPLINE_REPLIES_OVERFLOW = 0  # type: ignore[attr-defined]
    report, receipt = _submit(org)
    _login(client, receipt)
    url = "/portal/report/"
    for n in range(2):
        response = client.post(url, {"csrfmiddlewaretoken": csrf_token(client, url), "body": f"Reply {n}"})
        assert response.status_code == 302
    refused = client.post(url, {"csrfmiddlewaretoken": csrf_token(client, url), "body": "One more thing"})
    assert refused.status_code == 429
    assert "Too many messages were sent from your connection" in refused.content.decode()
    assert "One more thing" in refused.content.decode()
    assert report.messages.count() == 2
