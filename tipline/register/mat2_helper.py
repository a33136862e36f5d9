"""A warm mat2: libmat2 imported once, every file cleaned in a process forked for it alone.

``tipline.register.cleaning`` starts this script with the Python interpreter of the
``mat2`` command (Debian's ``python3``, which has libmat2) and no Tipline or Django
on its path. Starting mat2 costs most of its time in imports; here that is paid once
per server process, and each file still gets a fresh process of its own:

- stdin carries one JSON request per line, ``{"path": "/dev/shm/…/file.jpg"}``; stdout
  gets one JSON answer per request, ``{"ok": true, "cpu": 0.04, "restart": false}``
  (``ok`` false when the file could not be cleaned; ``cpu``: the child's CPU
  seconds; ``restart``: the helper ends after this answer);
- the file is cleaned in a child forked for it, exactly as
  ``mat2 --inplace --unknown-members omit`` cleans it (full cleaning, no sandbox),
  with its working folder, ``HOME`` and ``TMPDIR`` in the file's own folder and its
  output thrown away;
- a child still running after the time limit (the first argument, in seconds) is
  killed with everything it started, and the file counts as not cleaned;
- the helper ends after a child that crashed or timed out, and after a number of
  files (the second argument), so no two crashes probe the same memory layout;
- when it cannot fork it answers ``{"error": …}`` and ends: the parent then uses
  the mat2 command.

This process never opens a file it is asked to clean, and starts no thread, so a
fork is safe. It ends when stdin closes (its parent has gone).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path


def _clean(path: str) -> bool:
    from libmat2 import UnknownMemberPolicy, parser_factory  # type: ignore[import-not-found]  # noqa: PLC0415

    parser, _ = parser_factory.get_parser(path)
    if parser is None:
        return False
    parser.unknown_member_policy = UnknownMemberPolicy.OMIT
    parser.lightweight_cleaning = False
    # As the mat2 command: its bubblewrap sandbox is off unless ``--no-sandbox`` is given (sic,
    # mat2 0.13 declares the option with ``dest="sandbox"``), and bwrap is not installed anyway.
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
        for descriptor in (0, 1, 2):
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


def _answer(**fields: object) -> None:
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def serve(seconds: float, files_per_helper: int) -> None:
    """Answer requests until stdin closes, a child crashes or times out, or enough files were cleaned.

    Every fork shares this process's memory layout. A child that crashed may have been
    an attempt to exploit a parser, so the helper ends after it and the next file gets
    a new helper with a new layout (and so, at the latest, after ``files_per_helper``).
    """
    cleaned = 0
    for line in sys.stdin:
        try:
            path = str(json.loads(line)["path"])
        except (ValueError, KeyError, TypeError):
            _answer(ok=False, cpu=0.0)
            continue
        try:
            pid = os.fork()
            if pid == 0:
                _child(path)
            result = _wait(pid, seconds)
        except OSError as error:  # cannot fork or watch: the parent uses the mat2 command
            _answer(error=type(error).__name__)
            return
        cleaned += 1
        restart = not result.normal or cleaned >= files_per_helper
        _answer(ok=result.ok, cpu=round(result.cpu, 6), restart=restart)
        if restart:
            return


def main() -> None:
    seconds, files_per_helper = float(sys.argv[1]), int(sys.argv[2])
    from libmat2 import parser_factory  # noqa: F401, PLC0415 - imports every parser once, before any fork

    _answer(ready=True)
    serve(seconds, files_per_helper)


if __name__ == "__main__":
    main()
