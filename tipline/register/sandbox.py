"""A bubblewrap sandbox for the parsers of uploads: it sees the one file it is given, nothing else.

The metadata cleaners (mat2 with GdkPixbuf, poppler, librsvg, mutagen, exiftool) parse files
sent by anonymous strangers. One bug in any of them must not reach the pepper, the secret
key, the database or another reporter's upload, so they never run with the server's powers:

- the file system is built from an allow-list: ``/usr`` and the ``/bin``, ``/lib*`` links
  read-only, the few files of ``/etc`` the parsers read, the font cache, a fresh ``/proc``,
  a minimal ``/dev`` and a private, size-limited ``/tmp``; the root and ``/dev`` are then
  made read-only. The data folder, ``TIPLINE_CLEAN_DIR`` and ``/dev/shm`` (other uploads),
  ``/home``, ``/root``, ``/var``, ``/run``, ``/etc/ssl`` … do not exist in there. No path of the
  server is mounted: files go in and out through pipes;
- every namespace is new (no network: only a loopback that is down; its own pids, IPC,
  host name and user), no capability, no further user namespaces, ``no_new_privs`` (bwrap
  sets it), a session of its own, and it is killed when the process that started it dies;
- the environment is empty but for ``PATH``, ``HOME``, ``TMPDIR`` and ``LANG``: no
  ``TIPLINE_*`` variable, no secret;
- limits: address space (``TIPLINE_CLEAN_MEMORY``), CPU time (``TIPLINE_CLEAN_CPU_SECONDS``),
  size of any file written (``TIPLINE_CLEAN_MAX_OUTPUT``; ``/tmp`` holds three times that in
  all), and no core dump, since the core of a parser would hold a reporter's file;
- when the server runs as root, the sandbox runs as ``nobody:nogroup`` with no extra group;
  otherwise bwrap's user namespace already leaves it no more than the server's user has
  outside the allow-list, which is nothing of Tipline's.

There is no fallback: when bwrap is missing or the sandbox cannot start, the callers do not
clean (the file is held), they never run the parser without it.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

# The sandbox's private tmpfs: the only place a sandboxed process can write.
WORK_ROOT = "/tmp"  # noqa: S108 - inside the sandbox, where it is a tmpfs of its own

# What the parsers read besides /usr: the loader's cache, the extension-to-type table that
# libmat2 names files' types with (as on the host, so ``mat2 --list`` agrees), fontconfig's
# configuration and cache (poppler and librsvg draw text). Missing ones are skipped.
_READ_ONLY = ("/etc/ld.so.cache", "/etc/mime.types", "/etc/fonts", "/var/cache/fontconfig")
_TOP_LEVEL_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# Where programs run in the sandbox are looked for (mat2 looks for ffmpeg there).
SEARCH_PATH = "/usr/bin:/bin"
_ENVIRONMENT = {"PATH": SEARCH_PATH, "HOME": WORK_ROOT, "TMPDIR": WORK_ROOT, "LANG": "C.UTF-8"}


class SandboxUnavailable(Exception):
    """bwrap is not installed: nothing may be parsed."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of every process in the sandbox (each process has its own)."""

    memory: int  # RLIMIT_AS, bytes
    cpu_seconds: int  # RLIMIT_CPU
    max_output: int  # RLIMIT_FSIZE, bytes; the private /tmp holds three times this

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            memory=settings.TIPLINE_CLEAN_MEMORY,
            cpu_seconds=settings.TIPLINE_CLEAN_CPU_SECONDS,
            max_output=settings.TIPLINE_CLEAN_MAX_OUTPUT,
        )


def bwrap_path() -> str | None:
    return shutil.which("bwrap")


def _file_system() -> list[str]:
    """bwrap arguments for the allow-listed, read-only view of the system."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in _TOP_LEVEL_LINKS:
        path = Path(name)
        if path.is_symlink():  # merged /usr (Debian 12): /lib -> usr/lib
            args += ["--symlink", str(path.readlink()), name]
        elif path.is_dir():
            args += ["--ro-bind", name, name]
    for name in _READ_ONLY:
        if Path(name).exists():
            args += ["--ro-bind", name, name]
    return args


def _secret_places() -> set[Path]:
    """Folders holding what a parser must never see: the data folder (database, pepper,
    keys), the folder of uploads, and the folders of secret files set by ``*_FILE``."""
    places = {Path(settings.DATA_DIR), Path(settings.TIPLINE_CLEAN_DIR)}
    for name in (
        "TIPLINE_PEPPER_FILE",
        "TIPLINE_SECRET_KEY_FILE",
        "TIPLINE_AUDIT_KEY_FILE",
        "TIPLINE_TWO_FACTOR_KEY_FILE",
    ):
        if value := os.environ.get(name):
            places.add(Path(value).parent)
    return {place.resolve() for place in places}


def _hidden() -> list[str]:
    """An empty tmpfs over each secret place that lies inside what the sandbox shows (a
    Tipline installed under /usr keeps its default data folder there)."""
    shown = [Path("/usr"), *(Path(name) for name in (*_READ_ONLY, *_TOP_LEVEL_LINKS) if Path(name).is_dir())]
    args: list[str] = []
    for place in sorted(_secret_places()):
        if place.is_dir() and any(place == root or place.is_relative_to(root.resolve()) for root in shown):
            args += ["--tmpfs", str(place)]
    return args


def command(argv: Sequence[str], *, limits: Limits) -> list[str]:
    """The full command line that runs ``argv`` in the sandbox under ``limits``."""
    bwrap = bwrap_path()
    if bwrap is None:
        raise SandboxUnavailable
    return [
        bwrap,
        "--unshare-all",
        "--unshare-user",  # also as root: the sandbox runs as nobody, see start()
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        *_file_system(),
        *_hidden(),
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(3 * limits.max_output),  # tmpfs pages are memory that RLIMIT_AS does not count
        "--tmpfs",
        WORK_ROOT,
        "--remount-ro",
        "/dev",  # else /dev/shm in there would be a writable tmpfs without a size limit
        "--remount-ro",
        "/",
        "--chdir",
        WORK_ROOT,
        "--",
        # Limits are set in the sandbox, just before argv starts: by prlimit, not by a pre-exec
        # hook, which is unsafe in a server with threads.
        "/usr/bin/prlimit",
        f"--as={limits.memory}",
        f"--cpu={limits.cpu_seconds}",
        f"--fsize={limits.max_output}",
        "--core=0",
        "--",
        *argv,
    ]


def _nobody() -> tuple[int, int]:
    try:
        uid = pwd.getpwnam("nobody").pw_uid
    except KeyError:
        uid = 65534
    try:
        gid = grp.getgrnam("nogroup").gr_gid
    except KeyError:
        gid = 65534
    return uid, gid


def start(argv: Sequence[str], *, limits: Limits | None = None) -> subprocess.Popen[bytes]:
    """Start ``argv`` in the sandbox, with pipes on stdin and stdout and stderr dropped.

    Raises ``SandboxUnavailable`` when bwrap is missing and ``OSError`` when it cannot be
    started. A sandbox that starts but fails to set itself up ends at once (bwrap exits 1).
    """
    full = command(argv, limits=limits or Limits.from_settings())
    # Never parse as root: bwrap then runs as nobody, unprivileged, in a user namespace.
    uid, gid = _nobody() if os.geteuid() == 0 else (None, None)
    return subprocess.Popen(  # noqa: S603 - fixed argv, no shell
        full,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=_ENVIRONMENT,
        cwd="/",
        bufsize=0,
        close_fds=True,
        user=uid,
        group=gid,
        extra_groups=None if uid is None else [],
    )


def run(
    argv: Sequence[str], *, stdin: bytes = b"", timeout: float, limits: Limits | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``argv`` in the sandbox to its end and return its output (stderr is dropped).

    The same sandbox, with the same limits, as the cleaning helper: tests use it to check
    what a parser could reach from in there. Raises ``subprocess.TimeoutExpired`` (after
    killing it) past ``timeout``.
    """
    process = start(argv, limits=limits)
    try:
        out, _ = process.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
    return subprocess.CompletedProcess(list(argv), process.returncode, out, b"")
