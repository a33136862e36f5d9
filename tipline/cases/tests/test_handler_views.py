from __future__ import annotations

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tipline.accounts.testing import login_staff
from tipline.audit.models import AuditEntry
from tipline.audit.services import verify_chain
from tipline.conftest import PASSWORD, Setup, csrf_token, jpeg_with_exif
from tipline.register import services as register
from tipline.register.models import Report


def _report(org: Setup, client: Client) -> Report:
    token = csrf_token(client, "/report/web/")
    photo = SimpleUploadedFile("p.jpg", jpeg_with_exif(), content_type="image/jpeg")
    client.post(
        "/report/web/",
        {
            "csrfmiddlewaretoken": token,
            "q_what": "Kickbacks in roads",
            "q_kind": "Fraud",
            "f_files": photo,
            "identity": "Jane Roe, 555-0100",
        },
    )
    return Report.objects.get()


def _staff_login(username: str) -> Client:
    staff = Client(enforce_csrf_checks=True)
    login_staff(staff, username, PASSWORD)
    return staff


def test_a_handler_reads_downloads_and_replies_and_each_read_is_audited(org: Setup, client: Client) -> None:
    report = _report(org, client)
    staff = _staff_login("handler")
    queue = staff.get("/console/").content.decode()
    assert report.reference in queue
    page = staff.get(f"/console/reports/{report.reference}/").content.decode()
    assert "Kickbacks in roads" in page
    assert "Jane Roe" not in page, "identity stays sealed to supervisors"
    link = re.search(r'href="(/console/files/\d+/)"', page)
    assert link
    download = staff.get(link.group(1))
    data = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert data.startswith(b"\xff\xd8")
    token = csrf_token(staff, f"/console/reports/{report.reference}/")
    reply = staff.post(f"/console/reports/{report.reference}/", {"csrfmiddlewaretoken": token, "body": "Thank you"})
    assert reply.status_code == 302
    actions = list(AuditEntry.objects.exclude(action__startswith="staff.").values_list("action", flat=True))
    assert actions.count("report.read") == 2  # two page views; the POST redirects
    assert "attachment.download" in actions
    assert "message.sent" in actions
    assert verify_chain() == AuditEntry.objects.count()
    assert all(e.report_ref == report.reference for e in AuditEntry.objects.exclude(action__startswith="staff."))


def test_a_handler_without_access_gets_403_and_sees_nothing(org: Setup, client: Client) -> None:
    report = _report(org, client)
    staff = _staff_login("other")
    assert report.reference not in staff.get("/console/").content.decode()
    response = staff.get(f"/console/reports/{report.reference}/")
    assert response.status_code == 403
    assert "Kickbacks" not in response.content.decode()
    attachment = report.attachments.get()
    assert staff.get(f"/console/files/{attachment.pk}/").status_code == 403
    assert not AuditEntry.objects.filter(action="report.read").exists()


def test_the_console_requires_a_log_in(org: Setup, client: Client) -> None:
    response = client.get("/console/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/?next=")


def test_a_wrong_staff_password_is_refused(org: Setup, client: Client) -> None:
    token = csrf_token(client, "/staff/login/")
    response = client.post("/staff/login/", {"csrfmiddlewaretoken": token, "username": "handler", "password": "nope"})
    assert response.status_code == 400
    assert "wrong" in response.content.decode()


def test_the_staff_private_key_is_not_in_the_session_in_clear(org: Setup) -> None:
    from django.contrib.sessions.models import Session

    from tipline.accounts.services import unlock_private_key

    _staff_login("handler")
    private_key = unlock_private_key(user=org.handler, password=PASSWORD)
    for session in Session.objects.all():
        raw = session.session_data.encode()
        decoded = repr(session.get_decoded()).encode()
        assert private_key not in raw
        assert private_key.hex().encode() not in decoded
        import base64

        assert base64.b64encode(private_key) not in decoded


def test_the_escrow_key_opens_every_report(org: Setup, client: Client) -> None:
    from tipline.accounts import services as accounts
    from tipline.crypto import boxes

    report = _report(org, client)
    admin_key = accounts.unlock_private_key(user=org.admin, password=PASSWORD)
    escrow = accounts.escrow_private_key(admin=org.admin, admin_private_key=admin_key)
    report_key = boxes.unseal(escrow, bytes(report.key_grants.get(user=None).sealed_key))
    answers = {q["key"]: v for q, v in register.read_answers(report=report, report_key=report_key)}
    assert answers["what"] == "Kickbacks in roads"


def test_the_identity_opens_only_for_supervisors(org: Setup, client: Client) -> None:
    from tipline.accounts import services as accounts
    from tipline.crypto import boxes

    report = _report(org, client)
    grants = {g.user.username: g for g in report.identity_grants.all()}
    assert set(grants) == {"supervisor"}
    key = accounts.unlock_private_key(user=org.supervisor, password=PASSWORD)
    identity_key = boxes.unseal(key, bytes(grants["supervisor"].sealed_key))
    assert register.read_identity(report=report, identity_key=identity_key) == "Jane Roe, 555-0100"


def test_changing_the_password_rewraps_the_private_key(org: Setup) -> None:
    import pytest

    from tipline.accounts import services as accounts
    from tipline.accounts.exceptions import WrongPassword

    before = accounts.unlock_private_key(user=org.handler, password=PASSWORD)
    accounts.change_password(user=org.handler, old_password=PASSWORD, new_password="a much longer passphrase 42")
    org.handler.refresh_from_db()
    assert accounts.unlock_private_key(user=org.handler, password="a much longer passphrase 42") == before
    with pytest.raises(WrongPassword):
        accounts.unlock_private_key(user=org.handler, password=PASSWORD)
