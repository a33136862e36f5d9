"""A warm mat2 in the cleaning sandbox: libmat2 imported once, every file cleaned in a child forked for it.

``tipline.register.cleaning`` starts this script in the sandbox of ``tipline.register.sandbox``
(no network, no data folder, no other upload, no path of the server; limits on memory, CPU
and file size), with the Python interpreter of the ``mat2`` command and no Tipline or Django
on its path. Starting mat2 costs most of its time in imports; here that is paid once per
helper, and each file still gets a fresh process of its own.

Arguments: the time limit of a child (seconds), the number of files after which the helper
ends, and its work folder (the sandbox's private tmpfs). The protocol is binary, on stdin and
stdout, one file at a time:

- at start it writes ``{"ready": true}`` and a newline;
- a request is a JSON line ``{"suffix": ".jpg", "size": N}`` followed by exactly N bytes: the
  file, whose type the parent has read from its content (libmat2 goes by the suffix);
- the answer is a JSON line ``{"ok": true, "cpu": 0.04, "restart": false, "size": M}`` followed
  by M bytes, the cleaned file (none when ``ok`` is false). ``cpu``: the child's CPU seconds;
  ``restart``: the helper ends after this answer;
- a request it cannot read, or a file it cannot receive, gets ``ok`` false and ``restart``
  true (the stream is out of step); when it cannot fork it answers ``{"error": …}``; both end it.

The file is cleaned exactly as ``mat2 --inplace --unknown-members omit`` cleans it (full
cleaning; libmat2's own bwrap for exiftool is off, this whole process is in one), by a child
with its own session, its output thrown away and ``HOME`` and ``TMPDIR`` in the file's folder.

Keeping one reporter's file from the next, in one long-lived sandbox:

- the bytes go from the pipe into a fresh folder and back out with ``splice`` and
  ``sendfile``: they never enter this process's memory, so the child forked for the next file
  inherits nothing of this one;
- this process is not dumpable, so a child (the same user) can neither ptrace it nor open
  its ``/proc`` files, which include the pipe the next file arrives on;
- it is a child subreaper: after each file every process the child left behind comes back to
  it and is killed, and the work folder is emptied. A process left behind, a folder that
  will not empty, a crash, a time-out or its share of files end the helper, and the parent
  starts a new one (a new sandbox with a new memory layout, so no two crashes probe the
  same one).

It handles one file at a time, starts no thread (a fork is safe) and ends when stdin closes.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import select
import shutil
import signal
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

_PR_SET_DUMPABLE = 4
_PR_SET_CHILD_SUBREAPER = 36
_HEADER_MAX = 256
_CHUNK = 1 << 20
_SUFFIX = re.compile(r"\.[a-z0-9]{1,10}")
# Rounds of killing what a child left (each round also catches what the killed ones had started).
_SWEEPS = 50


def _clean(path: str) -> bool:
    from libmat2 import UnknownMemberPolicy, parser_factory  # type: ignore[import-not-found]  # noqa: PLC0415

    parser, _ = parser_factory.get_parser(path)
    if parser is None:
        return False
    parser.unknown_member_policy = UnknownMemberPolicy.OMIT
    parser.lightweight_cleaning = False
    # libmat2 would start its own bwrap around exiftool; we are already in one, which
    # allows no further user namespace. (The mat2 command's ``--no-sandbox`` sets this.)
    parser.sandbox = False
    if parser.remove_all() is not True:
        return False
    shutil.copymode(path, parser.output_filename)
    Path(parser.output_filename).rename(path)
    return True


def _child(path: str) -> None:
    """In the forked child: clean one file, say nothing, exit 0 if it is clean."""
    ok = False
    try:
        os.setsid()  # its own process group: a kill reaches the tools mat2 starts (exiftool, ffmpeg)
        nowhere = os.open(os.devnull, os.O_RDWR)
        for descriptor in (0, 1, 2):  # also drops the pipes: the next file arrives on fd 0
            os.dup2(nowhere, descriptor)
        folder = str(Path(path).parent)
        os.chdir(folder)
        os.environ["HOME"] = folder
        os.environ["TMPDIR"] = folder
        tempfile.tempdir = None
        ok = _clean(path)
    except BaseException:  # noqa: S110 - any failure means "not cleaned", and the child says nothing
        pass
    os._exit(0 if ok else 1)


@dataclass(frozen=True)
class Result:
    ok: bool
    cpu: float
    normal: bool  # the child exited by itself (no signal, no time-out)


def _wait(pid: int, seconds: float) -> Result:
    """How the child ended: killed with its whole group after ``seconds``."""
    watch = os.pidfd_open(pid)
    try:
        ready, _, _ = select.select([watch], [], [], seconds)
        if not ready:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        _, status, usage = os.wait4(pid, 0)
    finally:
        os.close(watch)
    code = os.waitstatus_to_exitcode(status)
    return Result(ok=bool(ready) and code == 0, cpu=usage.ru_utime + usage.ru_stime, normal=bool(ready) and code >= 0)


def _prctl(option: int, value: int) -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    return int(libc.prctl(option, value, 0, 0, 0)) == 0


def _write(data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(1, view) :]


def _answer(**fields: object) -> None:
    _write(json.dumps(fields).encode() + b"\n")


def _read_line() -> bytes | None:
    """One request line, read a byte at a time so that none of the file after it is read here."""
    line = bytearray()
    while len(line) < _HEADER_MAX:
        byte = os.read(0, 1)
        if not byte:
            return None
        if byte == b"\n":
            return bytes(line)
        line += byte
    return None


def _request(line: bytes) -> tuple[str, int] | None:
    try:
        request = json.loads(line)
        suffix, size = request["suffix"], request["size"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(suffix, str) or not _SUFFIX.fullmatch(suffix) or not isinstance(size, int) or size < 0:
        return None
    return suffix, size


def _receive(path: Path, size: int) -> bool:
    """The next ``size`` bytes of stdin into ``path``, moved by the kernel (never through this memory)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        left = size
        while left:
            moved = os.splice(0, descriptor, min(left, _CHUNK))
            if moved == 0:
                return False
            left -= moved
    finally:
        os.close(descriptor)
    return True


def _send(descriptor: int, size: int) -> None:
    offset = 0
    while offset < size:
        sent = os.sendfile(1, descriptor, offset, size - offset)
        if sent == 0:
            raise EOFError
        offset += sent


def _open_output(path: Path) -> int | None:
    """The cleaned file, if it is one (the child could have left a link or a folder there)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        return None
    return descriptor


def _children() -> list[int]:
    """This process's children, from /proc (the fields after the name: state, parent, …)."""
    me = str(os.getpid())
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            if fields[1] == me:
                found.append(int(entry.name))
    return found


def _end_strays() -> bool:
    """Kill and reap every process a child left behind; whether there was any, or one got away."""
    seen = False
    for _ in range(_SWEEPS):
        strays = _children()
        if not strays:
            return seen
        seen = True
        for pid in strays:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for pid in strays:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
    return True


def _empty(root: Path) -> bool:
    """Remove everything in the work folder; whether it is empty now."""
    for entry in list(root.iterdir()):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()
    return not any(root.iterdir())


def _clean_one(path: Path, seconds: float) -> Result:
    """Fork a child that cleans ``path`` in place, and wait for it."""
    pid = os.fork()
    if pid == 0:
        _child(str(path))
    return _wait(pid, seconds)


def serve(seconds: float, files_per_helper: int, root: Path) -> None:
    """Answer requests until stdin closes, something goes wrong, or enough files were cleaned."""
    cleaned = 0
    while (line := _read_line()) is not None:
        request = _request(line)
        received = False
        if request is not None:
            path = Path(tempfile.mkdtemp(dir=root)) / f"file{request[0]}"
            with contextlib.suppress(OSError):  # larger than the file-size limit, or the tmpfs is full
                received = _receive(path, request[1])
        if not received:
            _answer(ok=False, cpu=0.0, restart=True, size=0)
            return
        try:
            result = _clean_one(path, seconds)
        except OSError as error:  # cannot fork or watch: the parent starts another helper or sandbox
            _answer(error=type(error).__name__)
            return
        # Strays are killed before the cleaned file is opened: none can change it while it is sent.
        tidy = not _end_strays()
        output = _open_output(path) if result.ok else None
        tidy = _empty(root) and tidy  # the open file stays readable
        cleaned += 1
        restart = not result.normal or not tidy or cleaned >= files_per_helper
        try:
            size = os.fstat(output).st_size if output is not None else 0
            _answer(ok=output is not None, cpu=round(result.cpu, 6), restart=restart, size=size)
            if output is not None:
                _send(output, size)
        finally:
            if output is not None:
                os.close(output)
        if restart:
            return


def main() -> None:
    seconds, files_per_helper, root = float(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    if not (_prctl(_PR_SET_DUMPABLE, 0) and _prctl(_PR_SET_CHILD_SUBREAPER, 1)):
        _answer(error="prctl")
        return
    from libmat2 import parser_factory  # noqa: F401, PLC0415 - imports every parser once, before any fork

    _answer(ready=True)
    serve(seconds, files_per_helper, root)


if __name__ == "__main__":
    main()
