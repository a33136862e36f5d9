"""Metadata removal with mat2, on memory-backed storage, before encryption.

mat2 runs as a separate process on a private copy in ``TIPLINE_CLEAN_DIR``
(tmpfs). Archives are never handed to it (a small zip can expand to
gigabytes); ZIP-based documents are checked for size and member count first.
Any failure means "could not be cleaned": the caller holds the file back and
asks the reporter, and mat2's own output is never shown to anyone.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
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
_MAX_ZIP_RATIO = 20
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
    return len(members) <= _MAX_ZIP_MEMBERS and expanded <= max(1, path.stat().st_size) * _MAX_ZIP_RATIO * 10


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
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [settings.TIPLINE_MAT2, "--inplace", "--unknown-members", "omit", str(target)],
            capture_output=True,
            timeout=MAT2_TIMEOUT_SECONDS,
            check=False,
            # HOME and TMPDIR point into the memory-backed work folder: nothing mat2 writes reaches a disk.
            env={
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": str(target.parent),
                "TMPDIR": str(target.parent),
                "LANG": "C.UTF-8",
            },
            cwd=target.parent,
        )
    except subprocess.TimeoutExpired:
        log.info("mat2 timed out on an attachment of type %s", target.suffix)
        return CleanOutcome(path=None)
    if result.returncode != 0:
        log.info("mat2 could not clean an attachment of type %s", target.suffix)
        return CleanOutcome(path=None)
    return CleanOutcome(path=target, rasterised=target.suffix == ".pdf")
