"""A warm mat2: libmat2 imported once, every file cleaned in a process forked for it alone.

``tipline.intake.cleaning`` starts this script with the Python interpreter of the
``mat2`` command (Debian's ``python3``, which has libmat2) and no Tipline or Django
on its path. Starting mat2 costs most of its time in imports; here that is paid once
per server process, and each file still gets a fresh process of its own:

- stdin carries one JSON request per line, ``{"path": "/dev/shm/…/file.jpg"}``; stdout
  gets one JSON answer per request, ``{"ok": true, "cpu": 0.04}`` (``ok`` false when
  the file could not be cleaned; ``cpu``: the child's CPU seconds);
- the file is cleaned in a child forked for it, exactly as
  ``mat2 --inplace --unknown-members omit`` cleans it (sandbox on, full cleaning),
  with its working folder, ``HOME`` and ``TMPDIR`` in the file's own folder and its
  output thrown away;
- a child still running after the time limit (the first argument, in seconds) is
  killed and the file counts as not cleaned.

This process never opens a file it is asked to clean, and starts no thread, so a
fork is safe. It ends when stdin closes (its parent has gone).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import sys
import tempfile
from pathlib import Path


def _clean(path: str) -> bool:
    from libmat2 import UnknownMemberPolicy, parser_factory  # type: ignore[import-not-found]  # noqa: PLC0415

    parser, _ = parser_factory.get_parser(path)
    if parser is None:
        return False
    parser.unknown_member_policy = UnknownMemberPolicy.OMIT
    parser.lightweight_cleaning = False
    parser.sandbox = True
    if parser.remove_all() is not True:
        return False
    shutil.copymode(path, parser.output_filename)
    Path(parser.output_filename).rename(path)
    return True


def _child(path: str) -> None:
    """In the forked child: clean one file, say nothing, exit 0 if it is clean."""
    ok = False
    try:
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


def _wait(pid: int, seconds: float) -> tuple[bool, float]:
    """Whether the child ended cleanly within ``seconds`` (killed otherwise), and its CPU seconds."""
    watch = os.pidfd_open(pid)
    try:
        ready, _, _ = select.select([watch], [], [], seconds)
        if not ready:
            os.kill(pid, signal.SIGKILL)
        _, status, usage = os.wait4(pid, 0)
    finally:
        os.close(watch)
    return bool(ready) and os.waitstatus_to_exitcode(status) == 0, usage.ru_utime + usage.ru_stime


def serve(seconds: float) -> None:
    for line in sys.stdin:
        ok, cpu = False, 0.0
        try:
            path = str(json.loads(line)["path"])
        except (ValueError, KeyError, TypeError):
            pass
        else:
            pid = os.fork()
            if pid == 0:
                _child(path)
            ok, cpu = _wait(pid, seconds)
        sys.stdout.write(json.dumps({"ok": ok, "cpu": round(cpu, 6)}) + "\n")
        sys.stdout.flush()


def main() -> None:
    seconds = float(sys.argv[1])
    from libmat2 import parser_factory  # noqa: F401, PLC0415 - imports every parser once, before any fork

    sys.stdout.write(json.dumps({"ready": True}) + "\n")
    sys.stdout.flush()
    serve(seconds)


if __name__ == "__main__":
    main()
