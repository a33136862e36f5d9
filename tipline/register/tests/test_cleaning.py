"""Metadata removal: the sandboxed warm mat2 helper cleans exactly as the mat2 command, and fails safe."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tipline.conftest import jpeg_with_exif
from tipline.register import cleaning, mat2_helper

HELPER = Path(mat2_helper.__file__)


def _mat2_command(path: Path) -> bool:
    """The reference: the mat2 command itself, outside any sandbox (on the tests' own files)."""
    result = subprocess.run(
        ["mat2", "--inplace", "--unknown-members", "omit", str(path)], capture_output=True, timeout=120, check=False
    )
    return result.returncode == 0


@pytest.fixture
def warm(settings: Any, tmp_path: Path) -> Iterator[cleaning.WarmMat2]:
    settings.TIPLINE_CLEAN_DIR = tmp_path
    helper = cleaning.WarmMat2()
    yield helper
    helper._stop()


def _pdf(path: Path) -> Path:
    Image.new("RGB", (50, 50), "white").save(path, "PDF", author="Secret Author 77")
    return path


def _pair(tmp_path: Path, name: str, data: bytes) -> tuple[Path, Path]:
    """The same file twice, each in a folder of its own."""
    copies = []
    for side in ("warm", "command"):
        folder = tmp_path / side
        folder.mkdir()
        (folder / name).write_bytes(data)
        copies.append(folder / name)
    return copies[0], copies[1]


def test_a_jpeg_comes_out_byte_for_byte_as_from_the_command(warm: cleaning.WarmMat2, tmp_path: Path) -> None:
    by_helper, by_command = _pair(tmp_path, "photo.jpg", jpeg_with_exif("SecretCam-9"))
    assert warm.clean(by_helper) is True
    assert warm.child_cpu_seconds > 0, "the child's work is accounted for"
    assert _mat2_command(by_command) is True
    assert b"SecretCam-9" not in by_helper.read_bytes()
    assert b"Exif" not in by_helper.read_bytes()
    assert by_helper.read_bytes() == by_command.read_bytes()


def test_a_pdf_is_rasterised_and_loses_its_author(warm: cleaning.WarmMat2, tmp_path: Path) -> None:
    pdf = _pdf(tmp_path / "doc.pdf")
    assert warm.clean(pdf) is True
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert b"Secret Author 77" not in data
    assert "Secret Author 77".encode("utf-16-be") not in data


def test_a_broken_file_is_not_cleaned_by_either(warm: cleaning.WarmMat2, tmp_path: Path) -> None:
    by_helper, by_command = _pair(tmp_path, "broken.jpg", b"\xff\xd8 this is not a picture")
    assert warm.clean(by_helper) is False
    assert cleaning._clean_once(by_command) is False, "nor by a sandbox started for it"
    assert _mat2_command(by_command) is False


def test_one_helper_serves_file_after_file_and_comes_back_after_a_crash(
    warm: cleaning.WarmMat2, tmp_path: Path
) -> None:
    first, second = _pair(tmp_path, "a.jpg", jpeg_with_exif())
    assert warm.clean(first) is True
    process = warm._process
    assert process is not None
    assert warm.clean(second) is True
    assert warm._process is process, "the same warm helper cleaned both"
    process.kill()
    process.wait()
    third = tmp_path / "third.jpg"
    third.write_bytes(jpeg_with_exif())
    assert warm.clean(third) is True
    assert warm._process is not process


def test_a_busy_helper_hands_the_file_to_a_sandbox_of_its_own(
    warm: cleaning.WarmMat2, settings: Any, tmp_path: Path
) -> None:
    settings.TIPLINE_MAT2_WARM = True
    source = tmp_path / "in.jpg"
    source.write_bytes(jpeg_with_exif("Busy-1"))
    with warm._lock:
        assert warm.clean(source) is None
    cleaning._warm, saved = warm, cleaning._warm
    try:
        with warm._lock, cleaning.cleaned_copy(source, "in.jpg") as outcome:
            assert outcome.path is not None
            assert b"Busy-1" not in outcome.path.read_bytes()
    finally:
        cleaning._warm = saved


def test_a_file_waits_briefly_for_the_helper_rather_than_starting_a_sandbox(
    warm: cleaning.WarmMat2, tmp_path: Path
) -> None:
    source = tmp_path / "in.jpg"
    source.write_bytes(jpeg_with_exif("Wait-1"))
    warm._lock.acquire()
    threading.Timer(warm.WAIT_SECONDS / 3, warm._lock.release).start()
    assert warm.clean(source) is True, "the helper freed within the wait cleaned it"
    assert b"Wait-1" not in source.read_bytes()


def test_without_a_python_mat2_nothing_is_cleaned_and_the_file_is_held(
    warm: cleaning.WarmMat2, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cleaning, "_warm", warm)
    script = tmp_path / "mat2"
    script.write_text("#!/bin/sh\nexit 1\n")
    script.chmod(0o755)
    source = tmp_path / "any.jpg"
    source.write_bytes(jpeg_with_exif())
    cleaning.supported_extensions()  # listed with the real mat2 before it went
    settings.TIPLINE_MAT2 = str(script)
    assert cleaning._mat2_python() is None
    assert warm.clean(source) is None
    assert cleaning._clean_once(source) is None
    with cleaning.cleaned_copy(source, "any.jpg") as outcome:
        assert outcome.path is None


def test_the_interpreter_comes_from_the_mat2_command() -> None:
    python = cleaning._mat2_python()
    assert python is not None
    assert Path(python).name.startswith("python")


def _helper(root: Path, seconds: float, files: int = 100) -> subprocess.Popen[bytes]:
    """The helper script run directly (no sandbox), to speak its protocol."""
    python = cleaning._mat2_python()
    assert python is not None
    process = subprocess.Popen(
        [python, "-I", str(HELPER), str(seconds), str(files), str(root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert process.stdout is not None
    assert json.loads(process.stdout.readline()) == {"ready": True}
    return process


def _send(process: subprocess.Popen[bytes], header: bytes, body: bytes = b"") -> tuple[Any, bytes]:
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write(header + b"\n" + body)
    process.stdin.flush()
    answer = json.loads(process.stdout.readline())
    return answer, process.stdout.read(answer.get("size", 0))


def _file(suffix: str, data: bytes) -> bytes:
    return json.dumps({"suffix": suffix, "size": len(data)}).encode()


def test_the_helper_answers_no_to_a_request_it_cannot_read_and_ends(tmp_path: Path) -> None:
    for bad in (b"not json", json.dumps({"nosuffix": 1}).encode(), json.dumps({"suffix": "/../x", "size": 0}).encode()):
        process = _helper(tmp_path, 30)
        try:
            assert _send(process, bad) == ({"ok": False, "cpu": 0.0, "restart": True, "size": 0}, b"")
            assert process.wait(timeout=10) == 0, "out of step: it ends"
        finally:
            process.kill()


def test_the_helper_refuses_a_broken_file_keeps_going_and_ends_with_its_input(tmp_path: Path) -> None:
    process = _helper(tmp_path, 30)
    try:
        answer, body = _send(process, _file(".jpg", b"\xff\xd8 not a picture"), b"\xff\xd8 not a picture")
        assert (answer["ok"], answer["restart"], body) == (False, False, b""), "no reason for a new helper"
        photo = jpeg_with_exif("Again-2")
        answer, body = _send(process, _file(".jpg", photo), photo)
        assert answer["ok"] is True
        assert body.startswith(b"\xff\xd8")
        assert b"Again-2" not in body
        assert list(tmp_path.iterdir()) == [], "each file's folder is gone once it is answered"
        assert process.stdin is not None
        process.stdin.close()
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()


def test_the_helper_ends_after_its_share_of_files(tmp_path: Path) -> None:
    process = _helper(tmp_path, 30, files=2)
    try:
        for expect_restart in (False, True):
            photo = jpeg_with_exif()
            answer, body = _send(process, _file(".jpg", photo), photo)
            assert answer == {
                "ok": True,
                "cpu": pytest.approx(0.05, abs=5),
                "restart": expect_restart,
                "size": len(body),
            }
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()


def test_the_parent_starts_a_new_helper_when_told(warm: cleaning.WarmMat2, tmp_path: Path) -> None:
    warm.FILES_PER_HELPER = 1
    first, second = _pair(tmp_path, "a.jpg", jpeg_with_exif())
    assert warm.clean(first) is True
    assert warm._process is None, "the helper said it ends"
    assert warm.clean(second) is True


def _fake_helper(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "fake_helper.py"
    script.write_text("import json, sys\n" + body)
    return script


def test_a_helper_that_cannot_fork_hands_over_to_a_cold_sandbox_then_is_given_up(settings: Any, tmp_path: Path) -> None:
    settings.TIPLINE_CLEAN_DIR = tmp_path
    fake = _fake_helper(
        tmp_path,
        'print(json.dumps({"ready": True}), flush=True)\nsys.stdin.readline()\n'
        'print(json.dumps({"error": "BlockingIOError"}), flush=True)\n',
    )
    photo = tmp_path / "x.jpg"
    photo.write_bytes(jpeg_with_exif())
    helper = cleaning.WarmMat2(script=fake)
    for _ in range(helper.MAX_FAILURES):
        assert helper.clean(photo) is None
        assert helper._process is None
    assert helper.clean(photo) is None
    assert helper._process is None, "no new helper after repeated failures"


def test_a_helper_that_does_not_start_is_not_waited_for_forever(settings: Any, tmp_path: Path) -> None:
    settings.TIPLINE_CLEAN_DIR = tmp_path
    helper = cleaning.WarmMat2(script=_fake_helper(tmp_path, "sys.exit(3)\n"))
    photo = tmp_path / "x.jpg"
    photo.write_bytes(jpeg_with_exif())
    began = time.monotonic()
    assert helper.clean(photo) is None
    assert helper._failures == 1
    assert time.monotonic() - began < helper.MARGIN_SECONDS


def test_a_child_past_the_time_limit_is_killed_with_what_it_started() -> None:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: as a cleaning child, its own group; start a tool, then hang
        os.setsid()
        tool = subprocess.Popen(["sleep", "30"])
        os.write(write_end, str(tool.pid).encode())
        time.sleep(30)
        os._exit(0)
    os.close(write_end)
    tool_pid = int(os.read(read_end, 20))
    os.close(read_end)
    began = time.monotonic()
    result = mat2_helper._wait(pid, 0.3)
    assert result.ok is False
    assert result.normal is False
    assert time.monotonic() - began < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: nothing left running
    for _ in range(50):
        status = Path(f"/proc/{tool_pid}/stat")
        if not status.exists() or status.read_text().split(")")[-1].split()[0] in {"Z", "X"}:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the tool started by the killed child is still running")


def test_a_crashed_child_is_not_a_normal_end() -> None:
    pid = os.fork()
    if pid == 0:
        os.kill(os.getpid(), signal.SIGKILL)  # as a crash would end it: by a signal
        os._exit(0)
    result = mat2_helper._wait(pid, 5)
    assert result.ok is False
    assert result.normal is False


def test_a_child_that_ends_well_counts_as_cleaned() -> None:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    result = mat2_helper._wait(pid, 5)
    assert result.ok is True
    assert result.normal is True
