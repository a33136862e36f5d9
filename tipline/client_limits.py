"""Per-client allowances (receipt guesses, subscription requests) shared by every
server process, kept in memory only.

The server runs several processes; an allowance counted in each of them apart
would let a client make N times the limit. The counts live instead in one
small table mapped by every process from a file in a memory-backed folder
(``TIPLINE_CLEAN_DIR``, ``/dev/shm`` by default): it is never written to a
filesystem on disk (like any memory it can be swapped), outlives a restart of
the server and is gone at a reboot.

The table holds the day's random HMAC key of :func:`tipline.http_privacy.client_tag`
too, so that every process gives one client the same tag. The first process to
see a new UTC day writes a new key over the old one, and the key only ever moves
forwards (a caller still on yesterday gets today's key; a key of a day further
ahead, from a clock that ran fast, is replaced), so the processes never disagree.
Yesterday's tags can no longer be made: their slots are never matched again and
are reused. A slot holds a 16-byte digest of scope and tag, the end of
its window and a count; no address is ever in it. Processes of the server's own
user can read the file, as they can the uploads being cleaned beside it.

Where the file cannot be used safely (the folder is not memory-backed, so the key
would rest on a disk; the file is another user's, readable by others, hard-linked
or of another size), the table is kept in this process's memory alone, with a
warning: the limits then hold per process, as they would with Django's local cache.
A file of another size is never truncated: running processes may have it mapped.

Layout (version 1, in the file name and the magic): a 64-byte header (magic, day
number, key) and ``SLOTS`` slots of 32 bytes. A slot is found by its digest with a
short linear probe; when every probed slot is live, the least-used one is reused
(then the one whose window ends first), so a client at its limit is forgotten last.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import mmap
import os
import secrets
import stat
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

log = logging.getLogger(__name__)

MAGIC = b"TPLIMIT1"
HEADER = struct.Struct("<8sI4x32s16x")  # magic, day number, day key
SLOT = struct.Struct("<16sQI4x")  # digest, window end (unix seconds), count
SLOTS = 32768
PROBES = 16
KEY_BYTES = 32
_EMPTY_DIGEST = bytes(16)
_MEMORY_FILESYSTEMS = frozenset({"tmpfs", "ramfs"})


def file_name(data_dir: Path) -> str:
    """The table's file name for one installation (its data folder), in the memory-backed folder."""
    return f"tipline-limits-v1-{hashlib.blake2b(str(data_dir).encode(), digest_size=8).hexdigest()}"


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


class Table:
    """The mapped table; every operation holds a thread lock and, when shared, a ``flock``."""

    def __init__(self, path: Path | None, slots: int = SLOTS) -> None:
        self.path = path
        self.slots = slots
        self.shared = False
        self._descriptor: int | None = None
        self._threads = threading.Lock()
        self._local: tuple[int, bytes] = (-1, b"")  # (day, key) as last read, one attribute for threads
        size = HEADER.size + slots * SLOT.size
        if path is not None:
            self._descriptor = _open_private_file(path)
        if self._descriptor is None:
            self._map = mmap.mmap(-1, size)
        else:
            with self._file_lock():
                found = os.fstat(self._descriptor).st_size
                if found == 0:  # new: zero-filled to its size
                    os.ftruncate(self._descriptor, size)
            if found not in (0, size):  # never truncate what running processes may have mapped
                log.warning("Client limits kept per process: %s has an unexpected size (%d bytes)", path, found)
                os.close(self._descriptor)
                self._descriptor = None
                self._map = mmap.mmap(-1, size)
            else:
                self._map = mmap.mmap(self._descriptor, size)
                self.shared = True
        self.pid = os.getpid()  # a forked child opens its own: a flock is shared with an inherited descriptor

    def close(self) -> None:
        self._map.close()
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        if self._descriptor is None:
            yield
            return
        fcntl.flock(self._descriptor, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._descriptor, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._threads, self._file_lock():
            yield

    # ------------------------------------------------------------ the day's key

    def day_key(self, day: int) -> bytes:
        """The HMAC key of UTC day ``day`` (days since 1970), the same in every process."""
        local_day, local_key = self._local
        if day == local_day:
            return local_key
        with self._locked():
            magic, stored_day, stored_key = HEADER.unpack_from(self._map, 0)
            key = bytes(stored_key)
            # Only forwards, by one day at most: a caller still on yesterday keeps today's key,
            # and a key from a clock that ran ahead is replaced, not kept until that day comes.
            if magic != MAGIC or stored_day not in (day, day + 1):
                key, stored_day = secrets.token_bytes(KEY_BYTES), day  # over the old one, which is gone
                HEADER.pack_into(self._map, 0, MAGIC, day, key)
            self._local = (stored_day, key)
        return key

    # ------------------------------------------------------------ counting

    def take(self, digest: bytes, *, limit: int, window: int, now: float) -> bool:
        """Count one use; ``False`` once more than ``limit`` were counted in the window."""
        with self._locked():
            offset, end, count = self._find(digest, now)
            if end <= now:  # a new window from this use on (later uses do not extend it)
                end, count = int(now) + window, 0
            count = min(count + 1, 0xFFFFFFFF)
            SLOT.pack_into(self._map, offset, digest, end, count)
        return count <= limit

    def give_back(self, digest: bytes, *, now: float) -> None:
        """Take back one counted use, if its window is still open."""
        with self._locked():
            offset, end, count = self._find(digest, now)
            if end > now and count > 0:
                SLOT.pack_into(self._map, offset, digest, end, count - 1)

    def count(self, digest: bytes, *, now: float) -> int:
        with self._locked():
            _, end, count = self._find(digest, now)
        return count if end > now else 0

    def clear(self) -> None:
        """Forget every count (the key stays)."""
        with self._locked():
            self._map[HEADER.size :] = bytes(len(self._map) - HEADER.size)

    def _find(self, digest: bytes, now: float) -> tuple[int, int, int]:
        """(offset, window end, count) of ``digest``'s slot, or of the slot it may take.

        A free or expired slot is taken first. When every slot of the probe is live, the
        one with the fewest uses goes (then the one whose window ends first): a client at
        its limit is the last to be forgotten, so a flood of new tags evicts itself.
        """
        start = int.from_bytes(digest[:8], "little") % self.slots
        spare: tuple[int, int, int] | None = None  # (count, window end, offset) of the slot to reuse
        for step in range(PROBES):
            offset = HEADER.size + ((start + step) % self.slots) * SLOT.size
            found, end, count = SLOT.unpack_from(self._map, offset)
            if found == digest:
                return offset, end, count
            candidate = (0, 0, offset) if found == _EMPTY_DIGEST or end <= now else (count, end, offset)
            if spare is None or candidate < spare:
                spare = candidate
        assert spare is not None  # noqa: S101 - PROBES > 0
        return spare[2], 0, 0


def _open_private_file(path: Path) -> int | None:
    """Open (or make) the table's file, only if it is memory-backed and ours alone."""
    if not memory_backed(path.parent):
        log.warning(
            "Client limits kept per process: %s is not memory-backed (tmpfs), so the shared table is not put there",
            path.parent,
        )
        return None
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as error:
        log.warning("Client limits kept per process: %s", error.strerror)
        return None
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077 or info.st_nlink != 1:
        os.close(descriptor)  # made by someone else, or readable by others: not trusted with the key
        log.warning("Client limits kept per process: %s is not a private file of this user", path)
        return None
    return descriptor


_table: Table | None = None
_table_lock = threading.Lock()


def _after_fork_in_child() -> None:
    global _table_lock  # noqa: PLW0603 - a lock held by another thread at the fork stays held in the child
    _table_lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def table() -> Table:
    """This process's handle on the table at ``settings.TIPLINE_LIMITS_FILE``."""
    global _table  # noqa: PLW0603 - one table per process, reopened only if the setting changes
    path: Path = settings.TIPLINE_LIMITS_FILE
    current = _table
    if current is not None and current.path == path and current.pid == os.getpid():
        return current
    with _table_lock:
        if _table is None or _table.path != path or _table.pid != os.getpid():
            if _table is not None:
                _table.close()
            _table = Table(path)
        return _table


def _digest(scope: str, tag: str) -> bytes:
    return hashlib.blake2b(f"{scope}\0{tag}".encode(), digest_size=16).digest()


def today() -> int:
    return int(time.time() // 86400)


def day_key() -> bytes:
    return table().day_key(today())


def take(scope: str, tag: str, *, limit: int, window: int) -> bool:
    """Count one use of ``scope`` by ``tag``; ``False`` once it is over ``limit`` in ``window`` seconds."""
    return table().take(_digest(scope, tag), limit=limit, window=window, now=time.time())


def give_back(scope: str, tag: str) -> None:
    table().give_back(_digest(scope, tag), now=time.time())


def used(scope: str, tag: str) -> int:
    """How many uses are counted in the open window (for tests and diagnostics)."""
    return table().count(_digest(scope, tag), now=time.time())


def clear() -> None:
    table().clear()
