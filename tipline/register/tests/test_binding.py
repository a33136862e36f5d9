"""Every ciphertext of a report is bound to its row: a database writer who moves one to
another place (another message, another report, another file) gets nothing that opens."""

from __future__ import annotations

from pathlib import Path

import pytest

from tipline import blobstore
from tipline.accounts import services as accounts
from tipline.cases.models import Note
from tipline.cases.services import content as case_content
from tipline.cases.services import disclosure, workflow
from tipline.conftest import PASSWORD, Setup
from tipline.crypto import boxes, stream
from tipline.crypto.errors import DecryptionFailed
from tipline.register import services
from tipline.register.models import Attachment, DisclosureRequest, Message, Report

DAMAGED = "[This text could not be decrypted: it was changed or moved in the database. Tell your administrator.]"


def _submit(org: Setup, tmp_path: Path, *, identity: str = "") -> services.Submission:
    files = []
    for name in ("one.txt", "two.txt"):
        path = tmp_path / name
        path.write_bytes(f"content of {name}".encode())
        files.append(services.IncomingFile(path=path, name=name, size=path.stat().st_size))
    version = org.channel.current_questionnaire()
    assert version is not None
    return services.create_report(
        channel=org.channel, questionnaire=version, answers={"what": "events"}, files=files, identity=identity
    )


def test_every_new_ciphertext_is_bound(org: Setup, tmp_path: Path) -> None:
    submission = _submit(org, tmp_path, identity="Ana, 555 0100")
    report = Report.objects.get()
    services.post_message(report=report, report_key=submission.report_key, body="more", author=None)
    supervisor_key = accounts.unlock_private_key(user=org.supervisor, password=PASSWORD)
    workflow.add_note(report=report, by=org.supervisor, private_key=supervisor_key, body="a note")
    handler_key = accounts.unlock_private_key(user=org.handler, password=PASSWORD)
    disclosure.request_identity(report=report, by=org.handler, private_key=handler_key, reason="needed")
    bound = [
        report.answers_ct,
        report.identity_ct,
        report.receipt_wrapped_key,
        *Message.objects.values_list("body_ct", flat=True),
        *Note.objects.values_list("body_ct", flat=True),
        *DisclosureRequest.objects.values_list("reason_ct", flat=True),
        *Attachment.objects.values_list("meta_ct", flat=True),
    ]
    assert len(bound) == 8
    assert all(bytes(ct).startswith(boxes.BOUND_MARKER) for ct in bound)


def test_a_message_moved_to_another_message_does_not_open(org: Setup, tmp_path: Path) -> None:
    submission = _submit(org, tmp_path)
    report = Report.objects.get()
    first = services.post_message(
        report=report, report_key=submission.report_key, body="from the reporter", author=None
    )
    second = services.post_message(report=report, report_key=submission.report_key, body="second", author=None)
    Message.objects.filter(pk=second.pk).update(body_ct=first.body_ct)
    bodies = [m.body for m in services.list_messages(report=report, report_key=submission.report_key)]
    assert bodies[:2] == ["from the reporter", DAMAGED]


def test_a_reporter_message_cannot_be_passed_off_as_the_handlers(org: Setup, tmp_path: Path) -> None:
    submission = _submit(org, tmp_path)
    report = Report.objects.get()
    services.post_message(report=report, report_key=submission.report_key, body="from the reporter", author=None)
    Message.objects.update(from_staff=True, author=org.handler)
    assert [m.body for m in services.list_messages(report=report, report_key=submission.report_key)] == [DAMAGED]


def test_answers_moved_to_another_report_do_not_open_even_with_its_key(org: Setup, tmp_path: Path) -> None:
    first = _submit(org, tmp_path)
    second = _submit(org, tmp_path)
    # A writer who also moved the first report's key grants would hand its key to whoever
    # holds the second report: the answers still do not open in the wrong row.
    Report.objects.filter(pk=second.report.pk).update(answers_ct=first.report.answers_ct)
    moved = Report.objects.get(pk=second.report.pk)
    with pytest.raises(DecryptionFailed):
        services.read_answers(report=moved, report_key=first.report_key)


def test_a_note_moved_to_another_note_does_not_open(org: Setup, tmp_path: Path) -> None:
    submission = _submit(org, tmp_path)
    report = Report.objects.get()
    key = accounts.unlock_private_key(user=org.supervisor, password=PASSWORD)
    first = workflow.add_note(report=report, by=org.supervisor, private_key=key, body="first")
    second = workflow.add_note(report=report, by=org.supervisor, private_key=key, body="second")
    Note.objects.filter(pk=second.pk).update(body_ct=first.body_ct)
    notes = [n.body for n in case_content.list_notes(report=report, report_key=submission.report_key)]
    assert sorted(notes) == sorted(["first", DAMAGED])


def test_swapped_files_do_not_open(org: Setup, tmp_path: Path) -> None:
    submission = _submit(org, tmp_path)
    one, two = Attachment.objects.order_by("pk")
    # The description of one file put on the other's row.
    Attachment.objects.filter(pk=two.pk).update(meta_ct=one.meta_ct)
    with pytest.raises(DecryptionFailed):
        services.describe_attachment(attachment=Attachment.objects.get(pk=two.pk), report_key=submission.report_key)
    # The stored contents of two files exchanged in the store.
    store = blobstore.get_store()
    first, second = b"".join(store.read(one.blob)), b"".join(store.read(two.blob))
    store.delete(one.blob)
    store.write(one.blob, [second])
    store.delete(two.blob)
    store.write(two.blob, [first])
    with pytest.raises(DecryptionFailed):
        b"".join(services.stream_attachment(attachment=one, report_key=submission.report_key))


def test_rows_written_before_binding_still_open(org: Setup, tmp_path: Path) -> None:
    """What older versions wrote (no associated data) stays readable; the upgrade test
    reads whole databases built by the old code."""
    submission = _submit(org, tmp_path)
    report = Report.objects.get()
    key = submission.report_key
    Report.objects.filter(pk=report.pk).update(answers_ct=boxes.encrypt(key, b'{"v": 1, "answers": {"what": "old"}}'))
    message = services.post_message(report=report, report_key=key, body="new", author=None)
    Message.objects.filter(pk=message.pk).update(body_ct=boxes.encrypt(key, b"old message"))
    attachment = Attachment.objects.order_by("pk").first()
    assert attachment is not None
    store = blobstore.get_store()
    store.delete(attachment.blob)
    store.write(attachment.blob, stream.encrypt_chunks(key, [b"old file"]))
    report.refresh_from_db()
    assert {q["key"]: a for q, a in services.read_answers(report=report, report_key=key)}["what"] == "old"
    assert [m.body for m in services.list_messages(report=report, report_key=key)] == ["old message"]
    assert b"".join(services.stream_attachment(attachment=attachment, report_key=key)) == b"old file"
