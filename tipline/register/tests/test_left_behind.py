"""Reporters' files that a killed process left in the memory-backed folder are swept."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tipline.conftest import Setup, csrf_token
from tipline.register import uploads


def _dead_pid() -> int:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    return int(child.stdout)


def test_uploads_of_a_process_that_is_gone_are_swept_at_once(settings: object) -> None:
    folder = Path(settings.TIPLINE_CLEAN_DIR)  # type: ignore[attr-defined]
    gone = folder / f"tipline-up-{_dead_pid()}-abc"
    gone.write_bytes(b"a reporter's photo")
    ours = folder / f"tipline-up-{os.getpid()}-def"
    ours.write_bytes(b"an upload still being received")
    work = folder / f"tipline-clean-{_dead_pid()}-xyz"
    work.mkdir()
    (work / "file.jpg").write_bytes(b"being cleaned")
    unrelated = folder / "someone-else"
    unrelated.write_bytes(b"not ours")
    try:
        assert uploads.sweep_left_behind() == 2
        assert not gone.exists()
        assert not work.exists()
        assert ours.exists()
        assert unrelated.exists()
    finally:
        for path in (ours, unrelated):
            path.unlink(missing_ok=True)


def test_anything_older_than_any_request_is_swept(settings: object) -> None:
    folder = Path(settings.TIPLINE_CLEAN_DIR)  # type: ignore[attr-defined]
    old = folder / "tipline-clean-old"
    old.write_bytes(b"x")
    recent = folder / "tipline-clean-recent"
    recent.write_bytes(b"y")
    long_ago = time.time() - uploads.STALE_AFTER_SECONDS - 60
    os.utime(old, (long_ago, long_ago))
    try:
        assert uploads.sweep_left_behind() == 1
        assert not old.exists()
        assert recent.exists()
    finally:
        recent.unlink(missing_ok=True)


def test_an_upload_is_named_for_the_process_receiving_it(org: Setup, client: Client, settings: object) -> None:
    seen: list[str] = []
    real = uploads.ShmUploadedFile.__init__

    def watch(self: uploads.ShmUploadedFile, *args: object) -> None:
        real(self, *args)  # type: ignore[arg-type]
        seen.append(Path(self.temporary_file_path()).name)

    uploads.ShmUploadedFile.__init__ = watch  # type: ignore[method-assign]
    try:
        url = "/report/web/"
        photo = SimpleUploadedFile("a.txt", b"hello", content_type="text/plain")
        client.post(
            url, {"csrfmiddlewaretoken": csrf_token(client, url), "q_what": "x", "q_kind": "Fraud", "f_files": photo}
        )
    finally:
        uploads.ShmUploadedFile.__init__ = real  # type: ignore[method-assign]
    assert seen
    assert seen[0].startswith(f"tipline-up-{os.getpid()}-")
