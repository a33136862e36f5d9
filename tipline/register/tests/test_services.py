from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from django.utils import timezone

from tipline import blobstore
from tipline.conftest import Setup
from tipline.register import services
from tipline.register.models import Attachment, FieldType, Question


def _version(org: Setup):  # type: ignore[no-untyped-def]
    version = org.channel.current_questionnaire()
    assert version is not None
    return version


def test_an_old_report_keeps_the_questions_it_was_answered_on(org: Setup) -> None:
    old = services.create_report(channel=org.channel, questionnaire=_version(org), answers={"what": "first"})
    question = Question.objects.get(channel=org.channel, key="what")
    question.label = "Describe the events"
    question.save()
    Question.objects.create(channel=org.channel, order=99, key="extra", field_type=FieldType.SHORT_TEXT, label="New")
    new_version = services.publish_questionnaire(channel=org.channel)
    assert new_version.number == 2
    labels = [q["label"] for q, _ in services.read_answers(report=old.report, report_key=old.report_key)]
    assert "What happened?" in labels
    assert "Describe the events" not in labels
    assert "New" not in labels


def test_publishing_an_unchanged_questionnaire_keeps_the_version(org: Setup) -> None:
    assert services.publish_questionnaire(channel=org.channel).number == 1


def test_undecided_held_files_are_purged_after_the_limit(org: Setup, tmp_path: Path) -> None:
    path = tmp_path / "x.unknown"
    path.write_bytes(b"data")
    incoming = services.IncomingFile(path=path, name="x.unknown", size=4)
    services.create_report(channel=org.channel, questionnaire=_version(org), answers={}, files=[incoming])
    assert Attachment.objects.get().state == Attachment.State.HELD
    assert services.purge_stale_held() == 0
    assert services.purge_stale_held(now=timezone.now() + dt.timedelta(hours=25)) == 1
    assert not Attachment.objects.exists()
    assert list(blobstore.get_store().names()) == []


def test_the_orphan_sweep_deletes_only_blobs_without_a_row(org: Setup, tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_bytes(b"data")
    incoming = services.IncomingFile(path=path, name="x.txt", size=4)
    services.create_report(channel=org.channel, questionnaire=_version(org), answers={}, files=[incoming])
    store = blobstore.get_store()
    store.write(blobstore.new_blob_name(), [b"left by a crash"])
    assert services.sweep_orphan_blobs(min_age_seconds=0) == 1
    assert set(store.names()) == {Attachment.objects.get().blob}


def test_file_names_lose_folders_and_control_characters() -> None:
    assert services.clean_filename(name="../../etc/passwd") == "passwd"
    assert services.clean_filename(name="C:\\Users\\me\\doc.pdf") == "doc.pdf"
    assert services.clean_filename(name="a\x00b\u202ec.txt") == "abc.txt"


def test_a_long_file_name_is_cut_before_its_extension() -> None:
    cut = services.clean_filename(name="x" * 300 + ".jpeg")
    assert len(cut) == 200
    assert cut.endswith("x.jpeg")
    assert services.clean_filename(name="举" * 300 + ".pdf").endswith("举.pdf")
    assert len(services.clean_filename(name="y" * 300)) == 200
    assert services.clean_filename(name="z" * 250 + "." + "e" * 30) == ("z" * 250 + "." + "e" * 30)[:200]
    assert services.clean_filename(name="") == "file"
    assert len(services.clean_filename(name="n" * 500)) == 200


def test_a_pdf_is_cleaned_by_rasterising_and_marked_so(org: Setup, tmp_path: Path) -> None:
    pdf = tmp_path / "doc.pdf"
    from PIL import Image

    Image.new("RGB", (50, 50), "white").save(pdf, "PDF", author="Secret Author 77")
    author_forms = [b"Secret Author 77", "Secret Author 77".encode("utf-16-be")]
    assert any(form in pdf.read_bytes() for form in author_forms)
    incoming = services.IncomingFile(path=pdf, name="doc.pdf", size=pdf.stat().st_size)
    submission = services.create_report(channel=org.channel, questionnaire=_version(org), answers={}, files=[incoming])
    attachment = Attachment.objects.get()
    info = services.describe_attachment(attachment=attachment, report_key=submission.report_key)
    assert info.cleaned
    assert info.rasterised
    data = b"".join(services.stream_attachment(attachment=attachment, report_key=submission.report_key))
    assert data.startswith(b"%PDF")
    assert not any(form in data for form in author_forms)


def test_the_report_key_goes_only_to_recipients_who_may_read_and_to_supervisors(org: Setup) -> None:
    from tipline.accounts import services as accounts
    from tipline.accounts.models import Role, RoleGrant
    from tipline.conftest import PASSWORD

    editor = accounts.create_staff(username="ed", password=PASSWORD, roles=[Role.EDITOR, Role.CALL_TAKER])
    demoted = org.other_handler
    gone = accounts.create_staff(username="gone", password=PASSWORD, roles=[Role.HANDLER])
    gone.is_active = False
    gone.save()
    RoleGrant.objects.create(user=org.supervisor, role=Role.HANDLER)  # two case roles, one key
    org.channel.recipients.add(editor, demoted, gone, org.supervisor)
    RoleGrant.objects.filter(user=demoted).delete()
    RoleGrant.objects.create(user=demoted, role=Role.EDITOR)
    version = org.channel.current_questionnaire()
    assert version is not None
    report = services.create_report(
        channel=org.channel, questionnaire=version, answers={"what": "x", "kind": "Fraud"}
    ).report
    holders = sorted(report.key_grants.values_list("user__username", flat=True), key=str)
    assert holders == [None, "handler", "supervisor"]  # None: the escrow copy


def test_an_office_file_that_would_unpack_into_a_memory_bomb_is_not_opened(tmp_path: Path) -> None:
    import zipfile

    from tipline.register import cleaning

    def office(name: str, text: bytes) -> Path:
        path = tmp_path / name
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("word/document.xml", b"<w:t>" + text + b"</w:t>")
        return path

    assert cleaning._zip_is_reasonable(office("letter.docx", os.urandom(100_000).hex().encode()))
    bomb = office("bomb.docx", b"a" * 64 * 1024**2)  # about 1000:1
    assert not cleaning._zip_is_reasonable(bomb)
    with cleaning.cleaned_copy(bomb, "bomb.docx") as outcome:
        assert outcome.path is None, "held for the reporter's decision, never unpacked"


def test_housekeeping_forgets_expired_sessions_and_keeps_live_ones(org: Setup) -> None:
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.core.management import call_command

    live, old = SessionStore(), SessionStore()
    live["x"], old["x"] = 1, 2
    live.create()
    old.create()
    Session.objects.filter(session_key=old.session_key).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    call_command("housekeeping")
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
