"""Commendations (consent, an unguessable code kept as a keyed digest, a public check that
shows only what the reporter agreed to) and signed proofs of reporting."""

from __future__ import annotations

import base64
import io

import pytest
from django.test import Client
from pypdf import PdfReader

from tipline.crypto import signing
from tipline.rewards import services
from tipline.rewards.exceptions import InvalidStatement, RewardNotAllowed, WrongState
from tipline.rewards.models import Commendation
from tipline.rewards.services import codes
from tipline.rewards.tests.conftest import Rewards, portal_login, post

ALIAS = "Night Owl"


def _offered(rw: Rewards) -> Commendation:
    return services.offer_commendation(report=rw.report, by=rw.officer)


def test_a_commendation_is_issued_only_with_consent_and_its_code_is_kept_as_a_digest(rw: Rewards) -> None:
    commendation = _offered(rw)
    assert commendation.state == Commendation.State.OFFERED
    assert commendation.code_digest is None
    code = services.accept_commendation(report=rw.report, report_key=rw.report_key, alias=ALIAS, on_roll=False)
    cleaned = codes.normalise_code(code)
    raw = base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    assert len(raw) * 8 >= 128
    commendation.refresh_from_db()
    assert commendation.code_digest != codes.normalise_code(code)
    assert code not in str(commendation.code_digest)
    assert ALIAS.encode() not in bytes(commendation.alias_ct or b"")
    verified = services.verify_commendation(code=code)
    assert verified is not None
    assert verified.alias == ALIAS
    assert services.verify_commendation(code=code[:-1] + ("A" if code[-1] != "A" else "B")) is None
    assert services.verify_commendation(code="not a code!") is None
    with pytest.raises(WrongState):
        services.accept_commendation(report=rw.report, report_key=rw.report_key, alias="", on_roll=False)


def test_without_an_alias_the_check_says_only_valid(rw: Rewards) -> None:
    _offered(rw)
    code = services.accept_commendation(report=rw.report, report_key=rw.report_key, alias="", on_roll=True)
    verified = services.verify_commendation(code=code)
    assert verified is not None
    assert verified.alias == ""
    assert services.roll_of_honour() == []  # nothing to list without an alias


def test_the_roll_of_honour_lists_only_those_who_chose_it(rw: Rewards, client: Client) -> None:
    _offered(rw)
    services.accept_commendation(report=rw.report, report_key=rw.report_key, alias=ALIAS, on_roll=True)
    assert [entry.alias for entry in services.roll_of_honour()] == [ALIAS]
    page = client.get("/commendations/honour/").content.decode()
    assert ALIAS in page
    assert rw.report.reference not in page


def test_a_declined_commendation_issues_nothing(rw: Rewards) -> None:
    _offered(rw)
    services.decline_commendation(report=rw.report)
    assert Commendation.objects.get().code_digest is None


def test_only_supervisors_and_reward_officers_offer_commendations(rw: Rewards) -> None:
    with pytest.raises(RewardNotAllowed):
        services.offer_commendation(report=rw.report, by=rw.org.handler)


def test_the_public_check_shows_the_alias_and_nothing_of_the_report(rw: Rewards, client: Client) -> None:
    _offered(rw)
    code = services.accept_commendation(report=rw.report, report_key=rw.report_key, alias=ALIAS, on_roll=False)
    client.get("/commendations/verify/")
    response = post(client, "/commendations/verify/", {"code": code})
    page = response.content.decode()  # type: ignore[attr-defined]
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert ALIAS in page
    assert rw.report.reference not in page
    assert "Bid rigging" not in page
    wrong = post(client, "/commendations/verify/", {"code": "AAAA-BBBB"})
    assert wrong.status_code == 404  # type: ignore[attr-defined]


def test_the_reporter_downloads_the_certificate_with_its_code(rw: Rewards, client: Client) -> None:
    _offered(rw)
    portal_login(client, rw.receipt)
    page = client.get("/portal/rewards/")
    assert page.status_code == 200
    response = post(client, "/portal/commendation/", {"decision": "accept", "alias": ALIAS})
    assert response.status_code == 302  # type: ignore[attr-defined]
    pdf = client.get("/portal/commendation/certificate.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    text = "".join(part.extract_text() for part in PdfReader(io.BytesIO(pdf.content)).pages)
    code = services.code_for_reporter(commendation=Commendation.objects.get(), report_key=rw.report_key)
    assert code in text
    assert ALIAS in text


def test_a_proof_of_reporting_verifies_and_a_changed_one_does_not(rw: Rewards) -> None:
    statement = services.issue_statement(report=rw.report)
    assert statement.fields["Reference"] == rw.report.reference
    assert statement.fields["Acknowledged"] != "not yet"
    checked = services.verify_statement(text=statement.text.replace("\n", "\r\n"))
    assert checked.fields == statement.fields
    with pytest.raises(InvalidStatement):
        services.verify_statement(text=statement.text.replace(rw.report.reference, "AAAAAAAAAA"))
    with pytest.raises(InvalidStatement):
        services.verify_statement(text="hello")
    with pytest.raises(InvalidStatement):
        services.verify_statement(text=statement.text.replace("SIGNATURE-----\n", "SIGNATURE-----\n!!"))


def test_a_statement_signed_by_another_key_is_refused(rw: Rewards) -> None:
    statement = services.issue_statement(report=rw.report)
    body = statement.text.split("-----BEGIN")[0]
    other = signing.signing_key_from_secret(b"x" * 40)
    forged = (
        body + "-----BEGIN TIPLINE SIGNATURE-----\n" + base64.b64encode(signing.sign(other, body.encode())).decode()
    )
    with pytest.raises(InvalidStatement):
        services.verify_statement(text=forged + "\n-----END TIPLINE SIGNATURE-----\n")


def test_the_reporter_downloads_a_proof_and_anyone_checks_it_on_the_public_page(rw: Rewards, client: Client) -> None:
    portal_login(client, rw.receipt)
    download = client.get("/portal/proof-of-reporting.txt")
    assert download.status_code == 200
    text = download.content.decode()
    public = Client(enforce_csrf_checks=True)
    public.get("/proof/verify/")
    ok = post(public, "/proof/verify/", {"text": text})
    assert ok.status_code == 200  # type: ignore[attr-defined]
    assert "signature is valid" in ok.content.decode()  # type: ignore[attr-defined]
    from django.core.files.uploadedfile import SimpleUploadedFile

    uploaded = post(public, "/proof/verify/", {"file": SimpleUploadedFile("p.txt", download.content)})
    assert uploaded.status_code == 200  # type: ignore[attr-defined]
    bad = post(public, "/proof/verify/", {"text": text.replace("Received", "Receivd")})
    assert bad.status_code == 400  # type: ignore[attr-defined]
    key = public.get("/proof/key.txt").content.decode().strip()
    assert key == services.public_key_text()


def test_a_huge_or_garbled_upload_to_the_proof_check_is_refused_not_a_crash(db: None) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    public = Client(enforce_csrf_checks=True)
    public.get("/proof/verify/")
    huge = post(public, "/proof/verify/", {"file": SimpleUploadedFile("p.txt", b"x" * (30 * 1024**2))})
    assert 400 <= huge.status_code < 500  # type: ignore[attr-defined]
    garbled = post(public, "/proof/verify/", {"file": SimpleUploadedFile("p.bin", bytes(range(256)) * 4)})
    assert garbled.status_code == 400  # type: ignore[attr-defined]
