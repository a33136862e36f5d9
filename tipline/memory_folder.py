"""Whether a folder is kept in memory: uploads are spooled and cleaned only in such a
folder (``TIPLINE_CLEAN_DIR``), never on a disk where a reporter's file would rest in clear."""

from __future__ import annotations

from pathlib import Path

_MEMORY_FILESYSTEMS = frozenset({"tmpfs", "ramfs"})


def memory_backed(path: Path, mountinfo: str | None = None) -> bool:
    """Whether ``path`` lies on a filesystem kept in memory (tmpfs or ramfs), by the
    mount table (``/proc/self/mountinfo`` unless given)."""
    target = str(path.resolve())
    best, fstype = "", ""
    if mountinfo is None:
        try:
            mountinfo = Path("/proc/self/mountinfo").read_text()
        except OSError:
            return False
    for line in mountinfo.splitlines():
        fields = line.split()
        if "-" not in fields:
            continue
        point = fields[4].replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, fstype = point, fields[fields.index("-") + 1]
    return fstype in _MEMORY_FILESYSTEMS
