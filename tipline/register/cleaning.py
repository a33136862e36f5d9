"""Metadata removal with mat2, in a sandbox, on memory-backed storage, before encryption.

What a file is cleaned as is read from its content (``filetypes``), never from the name the
reporter gave it. Archives are never handed to mat2 (a small zip can expand to gigabytes);
ZIP-based documents are checked for size and member count first. Any failure means "could
not be cleaned": the caller holds the file back and asks the reporter, and mat2's own output
is never shown to anyone.

mat2 never runs with the server's powers: it parses in the sandbox of ``sandbox`` (no
network, no data folder, no other upload, no secret, limits on memory, CPU and file size),
which is handed the one file's bytes through a pipe and pipes the cleaned bytes back. The
private copies stay in ``TIPLINE_CLEAN_DIR`` (tmpfs), which the sandbox cannot see.

Each server process keeps one warm helper (``mat2_helper.py``, run by mat2's own Python in a
sandbox of its own) that has imported libmat2 once and cleans each file in a child forked for
it alone; that saves most of mat2's start-up per file. When the helper stays busy with another
file for longer than a sandbox takes to start, or keeps failing, the file gets a sandbox and a
helper started for it alone. When no
sandbox can start (bwrap missing), nothing is cleaned: the file is held, never parsed outside.

mat2 cleans most audio and all video with ffmpeg, which a server may lack (``make run`` leaves it
out): without it those types are not said to be cleaned, and are held without being tried.
"""

from __future__ import annotations

import contextlib
import json
import logging
import mimetypes
import os
import select
import shutil
import subprocess
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings

from tipline.register import filetypes, sandbox

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
HELPER = Path(__file__).with_name("mat2_helper.py")
_LIST_SECONDS = 60
_CHUNK = 1 << 20
_ANSWER_MAX = 1024
# Audio that mat2 cleans with mutagen; it cleans every other audio or video type with ffmpeg.
_CLEANED_WITHOUT_FFMPEG = frozenset({"audio/mpeg", "audio/ogg", "audio/flac", "audio/x-flac"})
_RECORDINGS = ("audio/", "video/")


@dataclass(frozen=True)
class CleanOutcome:
    path: Path | None  # the cleaned copy; None: not a cleanable type, or cleaning failed
    rasterised: bool = False


class _Unlisted(Exception):
    """``mat2 --list`` could not run in the sandbox."""


@cache
def _listed_types() -> Mapping[str, str]:
    """What ``mat2 --list`` names, extension to MIME type, run in the sandbox like every mat2;
    cached only once it worked."""
    command = shutil.which(settings.TIPLINE_MAT2)
    if command is None:
        raise _Unlisted
    try:
        result = sandbox.run([command, "--list"], timeout=_LIST_SECONDS)
    except (OSError, subprocess.SubprocessError, sandbox.SandboxUnavailable):
        raise _Unlisted from None
    if result.returncode != 0:
        raise _Unlisted
    types: dict[str, str] = {}
    for raw in result.stdout.decode("utf-8", "replace").splitlines():
        line = raw.rstrip()  # "  - audio/x-wav (.wav)"
        if "(" in line and line.endswith(")"):
            named, _, inside = line[:-1].rpartition("(")
            mimetype = named.split()[-1].lower() if named.split() else ""
            extensions = {ext.strip().lower() for ext in inside.split(",") if ext.strip().startswith(".")}
            types.update(dict.fromkeys(extensions - _ARCHIVES, mimetype))
    return types


@cache
def _ffmpeg_installed() -> bool:
    """Whether mat2 finds ffmpeg in the sandbox (whose ``PATH`` is the one looked in)."""
    return shutil.which("ffmpeg", path=sandbox.SEARCH_PATH) is not None


def _needs_ffmpeg(mimetype: str) -> bool:
    return mimetype.startswith(_RECORDINGS) and mimetype not in _CLEANED_WITHOUT_FFMPEG


@cache
def _warn_unlisted() -> None:
    log.warning("mat2 cannot run in the cleaning sandbox (is bubblewrap installed?): no attachment can be cleaned")


def _cleaned_types() -> Mapping[str, str]:
    """The types mat2 can clean on this machine, extension to MIME type (none if it cannot run)."""
    try:
        listed = _listed_types()
    except _Unlisted:
        _warn_unlisted()  # once per process: the form asks for this on every page with files
        return {}
    if _ffmpeg_installed():
        return listed
    return {ext: mimetype for ext, mimetype in listed.items() if not _needs_ffmpeg(mimetype)}


def supported_extensions() -> frozenset[str]:
    """The extensions mat2 can clean on this machine, in the sandbox, archives excluded (none
    if it cannot run; no audio or video that needs ffmpeg when ffmpeg is missing)."""
    return frozenset(_cleaned_types())


def recording_extensions() -> list[str]:
    """The audio and video extensions among ``supported_extensions``, sorted: the recordings
    whose metadata is removed here."""
    return sorted(ext for ext, mimetype in _cleaned_types().items() if mimetype.startswith(_RECORDINGS))


# Sound and video, by extension: what ``filetypes.detect`` names, and common names of recordings.
_RECORDING_EXTENSIONS = frozenset({
    ".wav", ".mp3", ".ogg", ".oga", ".opus", ".flac", ".aiff", ".aif", ".aac", ".m4a", ".m4b", ".wma", ".amr",
    ".3gp", ".3g2", ".mp4", ".m4v", ".mov", ".avi", ".wmv", ".webm", ".mkv",
})  # fmt: skip
# Sound and video that ``filetypes.detect`` does not name: Matroska and WebM, AMR voice memos.
_MEDIA_SIGNATURES = (b"\x1a\x45\xdf\xa3", b"#!AMR")
# ISO media (``ftyp``) that are pictures; any other (M4A, QuickTime, 3GP …) is sound or video.
_STILL_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis", b"jxl "})


def is_recording(path: Path, name: str) -> bool:
    """The file is sound or video, by its content or else by its name: a recording, which
    is kept only with the recorded person's yes, whatever the field it was sent in."""
    if filetypes.detect(path, name) in _RECORDING_EXTENSIONS:
        return True
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(_MEDIA_SIGNATURES) or (head[4:8] == b"ftyp" and head[8:12] not in _STILL_BRANDS):
        return True
    mimetype = mimetypes.guess_type(name)[0] or ""
    return Path(name).suffix.lower() in _RECORDING_EXTENSIONS or mimetype.startswith(_RECORDINGS)


def _zip_is_reasonable(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        return False
    expanded = sum(member.file_size for member in members)
    limit = min(max(1, path.stat().st_size) * _MAX_ZIP_RATIO, _MAX_ZIP_EXPANDED)
    return len(members) <= _MAX_ZIP_MEMBERS and expanded <= limit


def _cleanable(kind: str | None, source: Path) -> bool:
    if kind is None or kind not in supported_extensions():
        return False  # unknown content, an archive, or a type mat2 cannot clean here
    return kind not in _ZIP_BASED or _zip_is_reasonable(source)


@contextmanager
def cleaned_copy(source: Path, name: str) -> Iterator[CleanOutcome]:
    """Yield a cleaned copy of ``source`` (named ``name`` by the reporter); removed on exit.

    The type comes from the content: a photo is cleaned as a photo whatever its name, a
    zip named ``photo.jpg`` is held. ``name`` counts only for plain text (see ``filetypes``).
    """
    kind = filetypes.detect(source, name)
    if not _cleanable(kind, source):
        yield CleanOutcome(path=None)
        return
    workdir = Path(tempfile.mkdtemp(dir=settings.TIPLINE_CLEAN_DIR, prefix="tipline-clean-"))
    try:
        yield _run_mat2(source, workdir / f"file{kind}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run_mat2(source: Path, target: Path) -> CleanOutcome:
    """Clean a copy of ``source`` at ``target``, whose extension names the type of its content."""
    cleaned: bool | None = False
    if source.stat().st_size <= settings.TIPLINE_CLEAN_MAX_OUTPUT:  # else the sandbox could not hold it
        shutil.copyfile(source, target)
        cleaned = _warm.clean(target) if settings.TIPLINE_MAT2_WARM else None
        if cleaned is None:
            cleaned = _clean_once(target)
    if cleaned is None:
        # Never without the sandbox: the file is held, as for any cleaning failure. No file details.
        log.warning("no cleaning sandbox could start (is bubblewrap installed?); an attachment is held uncleaned")
        return CleanOutcome(path=None)
    if not cleaned:
        log.info("mat2 could not clean an attachment; it is held for the reporter's decision")  # no type: see DESIGN
        return CleanOutcome(path=None)
    return CleanOutcome(path=target, rasterised=target.suffix == ".pdf")


def _clean_once(target: Path, script: Path = HELPER) -> bool | None:
    """Clean ``target`` in place in a sandbox started for it alone; None if none could start."""
    helper = _Helper.start(script=script, files=1)
    if helper is None:
        return None
    try:
        answer = helper.ask(target, MAT2_TIMEOUT_SECONDS + WarmMat2.MARGIN_SECONDS)
    finally:
        helper.stop()
    return answer is not None and answer.ok  # a helper that died on this one file: the file's doing


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


@dataclass(frozen=True)
class _Answer:
    ok: bool
    cpu: float
    restart: bool


class _Helper:
    """One ``mat2_helper.py`` running in a sandbox of its own, seen from the server.

    The file goes to it as bytes on its stdin, the cleaned file comes back on its stdout
    (see the helper's protocol); no path of the server is ever shared with the sandbox.
    Every wait has a deadline, so a stuck helper costs a time-out, never a hung request.
    """

    START_SECONDS = 30.0

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        if process.stdin is None or process.stdout is None:
            msg = "the helper is started with pipes"
            raise ValueError(msg)
        self.process = process
        self._to = process.stdin.fileno()
        self._from = process.stdout.fileno()
        os.set_blocking(self._to, False)
        os.set_blocking(self._from, False)
        self._buffer = bytearray()

    @classmethod
    def start(cls, *, script: Path, files: int) -> _Helper | None:
        """A helper that said it is ready, or None (no mat2 Python, no bwrap, or the sandbox failed)."""
        python = _mat2_python()
        if python is None:
            return None
        try:
            # The script goes in as an argument: no file of the server is mounted in the sandbox.
            argv = [python, "-I", "-c", script.read_text(), str(MAT2_TIMEOUT_SECONDS), str(files), sandbox.WORK_ROOT]
            process = sandbox.start(argv)
        except (OSError, sandbox.SandboxUnavailable):
            return None
        helper = cls(process)
        if helper._line(time.monotonic() + cls.START_SECONDS) != {"ready": True}:
            helper.stop()
            return None
        return helper

    def ask(self, target: Path, seconds: float) -> _Answer | None:
        """Have ``target`` cleaned, in place; None when the helper failed (died, stuck, out of step)."""
        deadline = time.monotonic() + seconds
        size = target.stat().st_size
        header = json.dumps({"suffix": target.suffix, "size": size}).encode() + b"\n"
        with target.open("rb") as source:
            if not (self._write(header, deadline) and self._write_file(source.fileno(), size, deadline)):
                return None
        reply = self._line(deadline)
        if reply is None or "ok" not in reply:
            return None
        ok, length, cpu = reply.get("ok") is True, reply.get("size"), reply.get("cpu")
        if ok and not (
            isinstance(length, int)
            and 0 <= length <= settings.TIPLINE_CLEAN_MAX_OUTPUT
            and self._receive(target, length, deadline)
        ):
            return None
        return _Answer(
            ok=ok, cpu=float(cpu) if isinstance(cpu, (int, float)) else 0.0, restart=reply.get("restart") is True
        )

    def stop(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
        try:
            self.process.wait(timeout=1)  # it ends by itself once its input closes
        except subprocess.TimeoutExpired:
            self.process.kill()  # bwrap: --die-with-parent takes the whole sandbox with it
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)

    @staticmethod
    def _ready(descriptor: int, event: int, deadline: float) -> bool:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        poller = select.poll()  # not select(): a busy server has descriptors above 1023
        poller.register(descriptor, event)
        return bool(poller.poll(remaining * 1000))

    def _write(self, data: bytes, deadline: float) -> bool:
        view = memoryview(data)
        while view:
            if not self._ready(self._to, select.POLLOUT, deadline):
                return False
            try:
                view = view[os.write(self._to, view) :]
            except BlockingIOError:
                continue
            except OSError:
                return False  # the helper has gone
        return True

    def _write_file(self, source: int, size: int, deadline: float) -> bool:
        offset = 0
        while offset < size:
            if not self._ready(self._to, select.POLLOUT, deadline):
                return False
            try:
                sent = os.sendfile(self._to, source, offset, size - offset)
            except BlockingIOError:
                continue
            except OSError:
                return False
            if sent == 0:
                return False
            offset += sent
        return True

    def _read(self, deadline: float) -> bool:
        """More of the helper's output into the buffer; False at its end or past the deadline."""
        if not self._ready(self._from, select.POLLIN, deadline):
            return False
        try:
            chunk = os.read(self._from, _CHUNK)
        except BlockingIOError:
            return True
        except OSError:
            return False
        self._buffer += chunk
        return bool(chunk)

    def _line(self, deadline: float) -> dict[str, object] | None:
        """One JSON answer line, or None."""
        while b"\n" not in self._buffer:
            if len(self._buffer) > _ANSWER_MAX or not self._read(deadline):
                return None
        line, _, rest = bytes(self._buffer).partition(b"\n")
        self._buffer = bytearray(rest)
        try:
            answer = json.loads(line)
        except ValueError:
            return None
        return answer if isinstance(answer, dict) else None

    def _receive(self, target: Path, length: int, deadline: float) -> bool:
        """The next ``length`` bytes of output replace ``target``, or nothing changes."""
        partial = target.with_name(target.name + ".part")
        try:
            with partial.open("wb") as out:
                left = length
                while left:
                    if not self._buffer and not self._read(deadline):
                        return False
                    taken = self._buffer[:left]
                    out.write(taken)
                    del self._buffer[: len(taken)]
                    left -= len(taken)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        return True


class WarmMat2:
    """One warm helper for this process; ``clean`` answers ``None`` when it cannot help."""

    # The helper kills a child at MAT2_TIMEOUT_SECONDS; past this margin the helper itself is stuck.
    MARGIN_SECONDS = 10.0
    # A new helper, in a new sandbox with a new memory layout, at least this often (and after any crash).
    FILES_PER_HELPER = 200
    # Helper failures in a row (not the files' fault) after which this process stops trying.
    MAX_FAILURES = 3
    # How long a file waits for the helper busy with another one: about what starting a
    # sandbox of its own costs (a photo is cleaned in well under this; a long PDF is not).
    WAIT_SECONDS = 0.15

    def __init__(self, script: Path | None = None) -> None:
        self._script = script or HELPER
        self._lock = threading.Lock()
        self._helper: _Helper | None = None
        self._failures = 0
        self.child_cpu_seconds = 0.0  # CPU of every forked child so far (it is not this process's child)

    def clean(self, target: Path) -> bool | None:
        """Clean ``target`` in place: True/False, or None to let the caller start a sandbox for it."""
        if not self._lock.acquire(timeout=self.WAIT_SECONDS):
            return None  # still busy with another file: a sandbox of its own is quicker
        try:
            helper = self._running()
            if helper is None:
                return None
            try:
                answer = helper.ask(target, MAT2_TIMEOUT_SECONDS + self.MARGIN_SECONDS)
            except BaseException:  # e.g. no room left for the cleaned copy: the caller says so
                self._stop()  # the exchange stopped half-way: this helper is out of step
                raise
            if answer is None:
                self._failed()  # died, stuck or could not fork: not the file's fault
                return None
            self._failures = 0
            self.child_cpu_seconds += answer.cpu
            if answer.restart:
                self._stop()
            return answer.ok
        finally:
            self._lock.release()

    @property
    def _process(self) -> subprocess.Popen[bytes] | None:
        return self._helper.process if self._helper is not None else None

    def _failed(self) -> None:
        self._stop()
        self._failures += 1
        if self._failures == self.MAX_FAILURES:
            log.warning("the warm mat2 helper keeps failing; each file gets a sandbox of its own")

    def _running(self) -> _Helper | None:
        if self._helper is not None and self._helper.process.poll() is None:
            return self._helper
        self._stop()
        if self._failures >= self.MAX_FAILURES:
            return None
        helper = _Helper.start(script=self._script, files=self.FILES_PER_HELPER)
        if helper is None:
            self._failed()
            return None
        self._helper = helper
        return helper

    def _stop(self) -> None:
        helper, self._helper = self._helper, None
        if helper is not None:
            helper.stop()


_warm = WarmMat2()
