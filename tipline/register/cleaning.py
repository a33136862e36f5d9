"""Metadata removal with mat2, on memory-backed storage, before encryption.

mat2 runs as a separate process on a private copy in ``TIPLINE_CLEAN_DIR``
(tmpfs). Archives are never handed to it (a small zip can expand to
gigabytes); ZIP-based documents are checked for size and member count first.
Any failure means "could not be cleaned": the caller holds the file back and
asks the reporter, and mat2's own output is never shown to anyone.

Each server process keeps one warm helper (``mat2_helper.py``, run by mat2's own
Python) that has imported libmat2 once and cleans each file in a child forked for
it alone; that saves most of mat2's start-up per file. When the helper is busy
with another file, or cannot run, the ``mat2`` command does the work as before.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import shutil
import subprocess
import tempfile
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)

# Formats mat2 lists but that we refuse to expand: plain archives.
_ARCHIVES = {".zip", ".tar", ".torrent"}
_ZIP_BASED = {".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".odg", ".odc", ".odf", ".odi", ".epub"}
_MAX_ZIP_MEMBERS = 5000
# An office file is a zip that mat2 unpacks member by member in memory: refuse one that
# would expand beyond 200 times its size (XML compresses well, but not that well) or 1 GiB.
_MAX_ZIP_RATIO = 200
_MAX_ZIP_EXPANDED = 1024**3
MAT2_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class CleanOutcome:
    path: Path | None  # the cleaned copy; None: not a cleanable type, or cleaning failed
    rasterised: bool = False


@cache
def supported_extensions() -> frozenset[str]:
    """The extensions mat2 can clean on this machine, archives excluded."""
    try:
        listing = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [settings.TIPLINE_MAT2, "--list"], capture_output=True, text=True, timeout=30, check=True
        ).stdout
    except (OSError, subprocess.SubprocessError):
        log.warning("mat2 is not available: no attachment can be cleaned of metadata")
        return frozenset()
    extensions: set[str] = set()
    for line in listing.splitlines():
        if "(" in line and line.rstrip().endswith(")"):
            inside = line[line.rindex("(") + 1 : -1]
            extensions.update(ext.strip().lower() for ext in inside.split(",") if ext.strip().startswith("."))
    return frozenset(extensions - _ARCHIVES)


def extension_of(name: str) -> str:
    return Path(name).suffix.lower()


def is_cleanable(name: str) -> bool:
    return extension_of(name) in supported_extensions()


def _zip_is_reasonable(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        return False
    expanded = sum(member.file_size for member in members)
    limit = min(max(1, path.stat().st_size) * _MAX_ZIP_RATIO, _MAX_ZIP_EXPANDED)
    return len(members) <= _MAX_ZIP_MEMBERS and expanded <= limit


@contextmanager
def cleaned_copy(source: Path, name: str) -> Iterator[CleanOutcome]:
    """Yield a cleaned copy of ``source`` (named ``name`` by the reporter); removed on exit."""
    extension = extension_of(name)
    if extension not in supported_extensions() or (extension in _ZIP_BASED and not _zip_is_reasonable(source)):
        yield CleanOutcome(path=None)
        return
    workdir = Path(tempfile.mkdtemp(dir=settings.TIPLINE_CLEAN_DIR, prefix="tipline-clean-"))
    try:
        yield _run_mat2(source, workdir / f"file{extension}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run_mat2(source: Path, target: Path) -> CleanOutcome:
    shutil.copyfile(source, target)
    cleaned = _warm.clean(target) if settings.TIPLINE_MAT2_WARM else None
    if cleaned is None:
        cleaned = _mat2_command(target)
    if not cleaned:
        log.info("mat2 could not clean an attachment; it is held for the reporter's decision")  # no type: see DESIGN
        return CleanOutcome(path=None)
    return CleanOutcome(path=target, rasterised=target.suffix == ".pdf")


def _mat2_environment(folder: Path) -> dict[str, str]:
    # HOME and TMPDIR point into the memory-backed work folder: nothing mat2 writes reaches a disk.
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(folder),
        "TMPDIR": str(folder),
        "LANG": "C.UTF-8",
    }


def _mat2_command(target: Path) -> bool:
    """Clean ``target`` in place with the ``mat2`` command; whether it worked."""
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [settings.TIPLINE_MAT2, "--inplace", "--unknown-members", "omit", str(target)],
            capture_output=True,
            timeout=MAT2_TIMEOUT_SECONDS,
            check=False,
            env=_mat2_environment(target.parent),
            cwd=target.parent,
        )
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


def _mat2_python() -> str | None:
    """The interpreter of the ``mat2`` command (it has libmat2), from its ``#!`` line."""
    command = shutil.which(settings.TIPLINE_MAT2)
    if command is None:
        return None
    try:
        with Path(command).open("rb") as script:
            first = script.readline(200).decode("ascii", "replace").strip()
    except OSError:
        return None
    parts = first[2:].split() if first.startswith("#!") else []
    if parts and Path(parts[0]).name == "env" and len(parts) > 1:
        parts = [shutil.which(parts[1]) or parts[1], *parts[2:]]
    if len(parts) != 1 or not Path(parts[0]).name.startswith("python"):
        return None
    return parts[0]


class WarmMat2:
    """One warm helper for this process; ``clean`` answers ``None`` when it cannot help."""

    # The helper kills a child at MAT2_TIMEOUT_SECONDS; past this margin the helper itself is stuck.
    MARGIN_SECONDS = 10.0
    START_SECONDS = 30.0
    # A new helper, with a new memory layout, at least this often (and after any crash).
    FILES_PER_HELPER = 200
    # Helper failures in a row (not the files' fault) after which this process stops trying.
    MAX_FAILURES = 3

    def __init__(self, script: Path | None = None) -> None:
        self._script = script or Path(__file__).with_name("mat2_helper.py")
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._failures = 0
        self._no_python = False
        self.child_cpu_seconds = 0.0  # CPU of every forked child so far (it is not this process's child)

    def clean(self, target: Path) -> bool | None:
        """Clean ``target`` in place: True/False, or None to let the caller use the command."""
        if not self._lock.acquire(blocking=False):
            return None  # busy with another file: do not queue behind it
        try:
            process = self._running()
            if process is None:
                return None
            answer = self._ask(process, {"path": str(target)}, MAT2_TIMEOUT_SECONDS + self.MARGIN_SECONDS)
            if answer is None or "ok" not in answer:
                self._failed()  # died, stuck or could not fork: not the file's fault
                return None
            self._failures = 0
            cpu = answer.get("cpu")
            if isinstance(cpu, (int, float)):
                self.child_cpu_seconds += float(cpu)
            if answer.get("restart") is True:
                self._stop()
            return answer.get("ok") is True
        finally:
            self._lock.release()

    def _failed(self) -> None:
        self._stop()
        self._failures += 1
        if self._failures == self.MAX_FAILURES:
            log.warning("the warm mat2 helper keeps failing; using the mat2 command for every file")

    def _running(self) -> subprocess.Popen[str] | None:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self._stop()
        if self._no_python or self._failures >= self.MAX_FAILURES:
            return None
        python = _mat2_python()
        if python is None:
            self._no_python = True
            return None
        folder = Path(settings.TIPLINE_CLEAN_DIR)  # each child moves to its own file's folder
        try:
            process = subprocess.Popen(  # noqa: S603 - mat2's interpreter and our script, no shell
                [python, "-I", str(self._script), str(MAT2_TIMEOUT_SECONDS), str(self.FILES_PER_HELPER)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                env=_mat2_environment(folder),
                cwd=folder,
            )
        except OSError:
            self._failures += 1
            return None
        self._process = process
        ready = self._read(process, self.START_SECONDS)
        if ready is None or ready.get("ready") is not True:
            self._failed()
            return None
        return process

    def _ask(self, process: subprocess.Popen[str], request: dict[str, str], seconds: float) -> dict[str, object] | None:
        if process.stdin is None:
            return None
        try:
            process.stdin.write(json.dumps(request) + "\n")
            process.stdin.flush()
        except OSError:
            return None
        return self._read(process, seconds)

    @staticmethod
    def _read(process: subprocess.Popen[str], seconds: float) -> dict[str, object] | None:
        """One answer line (the helper writes each with a single small write), or None."""
        if process.stdout is None:
            return None
        ready, _, _ = select.select([process.stdout], [], [], seconds)
        if not ready:
            return None
        line = process.stdout.readline()
        try:
            answer = json.loads(line) if line else None
        except ValueError:
            return None
        return answer if isinstance(answer, dict) else None

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        for stream in (process.stdin, process.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
        try:
            process.wait(timeout=1)  # it ends by itself once its input closes
        except subprocess.TimeoutExpired:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)


_warm = WarmMat2()
