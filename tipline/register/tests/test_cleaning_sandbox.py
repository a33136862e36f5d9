"""The parsers of uploads run in a sandbox: no secret, no other upload, no network, bounded memory.

These run the real bubblewrap sandbox (``make test`` installs it first): a test that could
not start it fails rather than skips.
"""

from __future__ import annotations

import json
import logging
import socket
import struct
import subprocess
import tempfile
import time
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from PIL import Image

from tipline.conftest import jpeg_with_exif
from tipline.register import cleaning, sandbox

# What a parser taken over by its file would try, reported as JSON on stdout.
PROBE = r"""
import json, os, socket, sys
secret, pepper, upload, port, memory = sys.argv[1:6]
report = {"environment": sorted(os.environ), "uid": os.getuid(), "descriptors": len(os.listdir("/proc/self/fd"))}

def attempt(name, action):
    try:
        action()
        report[name] = "done"
    except BaseException as error:
        report[name] = type(error).__name__

attempt("secret", lambda: open(secret, "rb").read())
attempt("pepper", lambda: open(pepper, "rb").read())
attempt("upload", lambda: open(upload, "rb").read())
attempt("network", lambda: socket.create_connection(("127.0.0.1", int(port)), timeout=3).close())
attempt("memory", lambda: bytearray(int(memory)))
attempt("write_outside_tmp", lambda: open("/leftover", "w").close())
print(json.dumps(report))
"""

# The same attempts from inside the warm helper: its ``_clean`` replaced by a parser that
# does what its file tells it and answers with a report as the "cleaned" file.
TAKEN_OVER = r"""
def _clean(path):
    import socket, time
    order = json.loads(Path(path).read_text())
    report = {"tmp": sorted(os.listdir("/tmp")), "folder": Path(path).parent.name}

    def attempt(name, action):
        try:
            action()
            report[name] = "done"
        except BaseException as error:
            report[name] = type(error).__name__

    helper = os.getppid()
    attempt("secret", lambda: open(order["secret"], "rb").read())
    attempt("upload", lambda: open(order["upload"], "rb").read())
    attempt("network", lambda: socket.create_connection(("127.0.0.1", order["port"]), timeout=3).close())
    attempt("memory", lambda: bytearray(order["memory"]))
    attempt("helper_pipes", lambda: os.listdir(f"/proc/{helper}/fd"))
    attempt("helper_memory", lambda: open(f"/proc/{helper}/mem", "rb").read(1))
    report["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    if order.get("leave_file"):
        Path("/tmp/left-behind").write_text(order["leave_file"])
    if order.get("leave_process") and os.fork() == 0:
        os.setsid()
        time.sleep(600)
        os._exit(0)
    Path(path).write_text(json.dumps(report))
    return True

"""


@pytest.fixture
def secret(settings: Any) -> Iterator[Path]:
    """A file in the data folder, readable by the server."""
    path = Path(settings.DATA_DIR) / f"probe-secret-{uuid.uuid4().hex}"
    path.write_text("the pepper and the database live here")
    yield path
    path.unlink()


@pytest.fixture
def other_upload(settings: Any) -> Iterator[Path]:
    """Another reporter's upload, waiting in the memory-backed folder."""
    with tempfile.NamedTemporaryFile(dir=settings.TIPLINE_CLEAN_DIR, prefix="tipline-upload-") as handle:
        handle.write(b"another reporter's photo")
        handle.flush()
        yield Path(handle.name)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A port on this machine's loopback that a sandboxed parser must not reach."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.setblocking(False)
        yield server


def _nobody_connected(server: socket.socket) -> bool:
    try:
        server.accept()[0].close()
    except BlockingIOError:
        return True
    return False


def test_a_program_in_the_sandbox_reaches_no_secret_no_other_upload_no_network_and_no_memory_past_the_limit(
    secret: Path, other_upload: Path, listener: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIPLINE_PEPPER", "x" * 40)  # a secret in the server's environment
    pepper = Path(django_settings.DATA_DIR) / "pepper"
    readable = [path for path in (secret, pepper, other_upload) if path.exists()]
    assert all(path.read_bytes() for path in readable), "the server itself can read them"
    limits = sandbox.Limits.from_settings()
    argv = [str(secret), str(pepper), str(other_upload), str(listener.getsockname()[1]), str(limits.memory)]
    result = sandbox.run(["/usr/bin/python3", "-I", "-c", PROBE, *argv], timeout=60)
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report["secret"] == "FileNotFoundError", "the data folder does not exist in there"
    assert report["pepper"] == "FileNotFoundError"
    assert report["upload"] == "FileNotFoundError", "nor does the memory-backed folder"
    assert report["network"] in {"ConnectionRefusedError", "OSError"}, "a loopback of its own"
    assert report["memory"] == "MemoryError"
    assert report["write_outside_tmp"] == "OSError", "read-only but for its private /tmp"
    assert report["environment"] == ["HOME", "LANG", "PATH", "PWD", "TMPDIR"], "no TIPLINE_* variable"
    assert report["uid"] != 0
    assert report["descriptors"] == 4, "stdin, stdout, stderr and the listing's own: none of the server's files"
    assert _nobody_connected(listener)


def test_the_limits_are_the_settings(settings: Any) -> None:
    settings.TIPLINE_CLEAN_MEMORY = 300 * 1024**2
    settings.TIPLINE_CLEAN_CPU_SECONDS = 7
    settings.TIPLINE_CLEAN_MAX_OUTPUT = 5 * 1024**2
    result = sandbox.run(["/usr/bin/prlimit", "--raw", "--noheadings", "--output=RESOURCE,SOFT,HARD"], timeout=30)
    limits = {line.split()[0]: line.split()[1:] for line in result.stdout.decode().splitlines()}
    assert limits["AS"] == [str(300 * 1024**2)] * 2
    assert limits["CPU"] == ["7", "7"]
    assert limits["FSIZE"] == [str(5 * 1024**2)] * 2
    assert limits["CORE"] == ["0", "0"], "a core dump of a parser would hold a reporter's file"


@pytest.fixture
def taken_over(tmp_path: Path) -> Iterator[tuple[cleaning.WarmMat2, str]]:
    """A warm helper whose cleaning children do what their file says, and a mark to find its processes by."""
    mark = f"taken-over-{uuid.uuid4().hex}"
    source = cleaning.HELPER.read_text()
    script = tmp_path / "taken_over_helper.py"
    script.write_text(
        f"# {mark}\n" + source.replace('\nif __name__ == "__main__":', TAKEN_OVER + '\nif __name__ == "__main__":')
    )
    helper = cleaning.WarmMat2(script=script)
    yield helper, mark
    helper._stop()


def _running_with(mark: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if mark.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_a_cleaning_child_taken_over_by_its_file_finds_nothing_and_leaves_nothing_for_the_next(
    taken_over: tuple[cleaning.WarmMat2, str],
    tmp_path: Path,
    secret: Path,
    other_upload: Path,
    listener: socket.socket,
) -> None:
    warm, mark = taken_over
    memory = sandbox.Limits.from_settings().memory
    base = {"secret": str(secret), "upload": str(other_upload), "port": listener.getsockname()[1], "memory": memory}

    def clean(**order: object) -> dict[str, Any]:
        target = tmp_path / "file.jpg"
        target.write_text(json.dumps({**base, **order}))
        assert warm.clean(target) is True
        report: dict[str, Any] = json.loads(target.read_text())
        return report

    first = clean(leave_file="the first reporter's photo")
    for attempt in ("secret", "upload", "network", "memory", "helper_pipes", "helper_memory"):
        assert first[attempt] != "done", attempt
    assert first["helper_pipes"] == "PermissionError", "the helper is not dumpable: its pipes stay its own"
    helper = warm._process
    assert helper is not None, "a file left behind is wiped; the helper stays"

    second = clean(leave_process=True)
    assert second["tmp"] == [second["folder"]], "nothing of the first file is left in the sandbox"
    assert warm._process is None, "a process left behind: the sandbox is thrown away"

    third = clean()
    assert len(third["pids"]) == 3, "a new sandbox: its init, the helper and this child, no stray"
    warm._stop()
    for _ in range(50):
        if not _running_with(mark):
            break
        time.sleep(0.1)
    else:
        pytest.fail("a process of the sandbox outlived it")
    assert _nobody_connected(listener)


def _png_bomb(path: Path) -> Path:
    """97 KB that declare 20000x20000 grey pixels: cairo asks for 1.6 GB and fills 400 MB of it."""
    row = b"\x00" * (20000 + 1)  # filter byte and a row of black
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(5000)) + packer.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 20000, 20000, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b""))
    return path


# Cleans a file with libmat2 as the helper does, and prints whether it worked and the largest
# resident size (KiB) it reached.
PEAK = r"""
import resource, sys
if len(sys.argv) > 2:  # in the sandbox: the file arrives on stdin
    with open(sys.argv[2], "wb") as out:
        out.write(sys.stdin.buffer.read())
from libmat2 import parser_factory
try:
    parser, _ = parser_factory.get_parser(sys.argv[-1])
    parser.lightweight_cleaning, parser.sandbox = False, False
    ok = parser.remove_all()
except BaseException:
    ok = False
print(int(ok is True), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_a_png_that_would_take_hundreds_of_megabytes_is_stopped_and_held_and_the_next_photo_is_cleaned(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bomb = _png_bomb(tmp_path / "bomb.png")
    assert 90_000 < bomb.stat().st_size < 100_000
    python = cleaning._mat2_python()
    assert python is not None
    outside = subprocess.run([python, "-c", PEAK, str(bomb)], capture_output=True, timeout=120, check=True)
    assert int(outside.stdout.split()[1]) > 300_000, "unsandboxed, mat2 really fills hundreds of MB"
    inside = sandbox.run(
        ["/usr/bin/python3", "-c", PEAK, "-", f"{sandbox.WORK_ROOT}/bomb.png"], stdin=bomb.read_bytes(), timeout=120
    ).stdout.split()
    assert inside[0] == b"0"
    assert int(inside[1]) < 100_000, "in the sandbox the allocation is refused before the memory is filled"

    warm = cleaning.WarmMat2()
    monkeypatch.setattr(cleaning, "_warm", warm)
    try:
        with cleaning.cleaned_copy(bomb, "bomb.png") as outcome:
            assert outcome.path is None, "held for the reporter's decision"
        photo = tmp_path / "photo.jpg"
        photo.write_bytes(jpeg_with_exif("AfterBomb-3"))
        with cleaning.cleaned_copy(photo, "photo.jpg") as outcome:
            assert outcome.path is not None
            data = outcome.path.read_bytes()
        assert data.startswith(b"\xff\xd8")
        assert b"AfterBomb-3" not in data
        assert b"Exif" not in data
        assert warm._process is not None, "the warm helper cleaned it: it is still there"
    finally:
        warm._stop()


def test_the_warm_helper_runs_in_the_sandbox(tmp_path: Path) -> None:
    warm = cleaning.WarmMat2()
    photo = tmp_path / "p.jpg"
    photo.write_bytes(jpeg_with_exif())
    try:
        assert warm.clean(photo) is True
        process = warm._process
        assert process is not None
        assert isinstance(process.args, list)
        assert process.args[0] == sandbox.bwrap_path()
        assert str(django_settings.TIPLINE_CLEAN_DIR) not in process.args, "the memory folder is never mounted"
        assert str(tmp_path) not in " ".join(process.args)
    finally:
        warm._stop()


def test_without_bwrap_nothing_is_parsed_the_file_is_held_and_one_warning_says_so(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    assert ".jpg" in cleaning.supported_extensions()
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    monkeypatch.setattr(cleaning, "_warm", cleaning.WarmMat2())
    source = tmp_path / "IMG_Mayor-Smith.jpg"
    source.write_bytes(jpeg_with_exif())
    with caplog.at_level(logging.INFO, logger="tipline"), cleaning.cleaned_copy(source, source.name) as outcome:
        assert outcome.path is None
    warnings = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(warnings) == 1
    assert "Mayor" not in warnings[0]
    assert "jp" not in warnings[0].lower()


def test_the_system_check_warns_when_bwrap_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    from tipline.site.checks import cleaning_sandbox_is_installed

    assert cleaning_sandbox_is_installed() == []
    monkeypatch.setattr(sandbox, "bwrap_path", lambda: None)
    [warning] = cleaning_sandbox_is_installed()
    assert warning.id == "tipline.W001"
    assert warning.level == logging.WARNING


def test_a_file_the_sandbox_could_not_hold_is_held(settings: Any, tmp_path: Path) -> None:
    settings.TIPLINE_CLEAN_MAX_OUTPUT = 1000
    big = tmp_path / "big.png"
    Image.effect_noise((200, 200), 50).convert("RGB").save(big, "PNG")
    assert big.stat().st_size > 1000
    with cleaning.cleaned_copy(big, "big.png") as outcome:
        assert outcome.path is None


def test_a_data_folder_inside_the_system_tree_is_hidden_from_the_sandbox(settings: Any) -> None:
    """Installed under /usr, the default data folder (database, pepper, keys) lies inside
    the read-only /usr the sandbox shows; it is covered by an empty folder there."""
    inside_usr = Path("/usr/share/doc")  # a folder that exists, standing for such a data folder
    assert any(inside_usr.iterdir())
    settings.DATA_DIR = inside_usr
    args = sandbox.command(["true"], limits=sandbox.Limits.from_settings())
    assert args[args.index(str(inside_usr)) - 1] == "--tmpfs"
    listing = sandbox.run(["/usr/bin/ls", "-A", str(inside_usr)], timeout=30)
    assert listing.returncode == 0
    assert listing.stdout == b""
