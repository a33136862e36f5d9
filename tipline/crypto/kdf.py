"""Argon2id key derivation (libsodium ``crypto_pwhash``), at most one per core at a time."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from nacl.pwhash import argon2id

log = logging.getLogger(__name__)

SALT_BYTES = argon2id.SALTBYTES


@dataclass(frozen=True)
class KdfCost:
    """Argon2id cost: ``ops`` passes over ``mem`` bytes (parallelism is 1 in libsodium)."""

    ops: int
    mem: int

    def __post_init__(self) -> None:
        if self.ops < argon2id.OPSLIMIT_MIN or self.mem < argon2id.MEMLIMIT_MIN:
            msg = f"Argon2id cost below libsodium's minimum: t={self.ops}, m={self.mem}"
            raise ValueError(msg)

    @classmethod
    def parse(cls, text: str) -> KdfCost:
        """Parse ``"t=3,m=64M"`` (m in KiB by default, or with a K/M/G suffix)."""
        items = [item.strip() for item in text.split(",") if item.strip()]
        parts = dict(item.split("=", 1) for item in items if "=" in item)
        if set(parts) != {"t", "m"} or len(items) != 2:
            msg = f"expected 't=<passes>,m=<memory>' but got {text!r}"
            raise ValueError(msg)
        return cls(ops=int(parts["t"]), mem=_parse_size(parts["m"]))

    def __str__(self) -> str:
        return f"t={self.ops},m={self.mem // 1024}K"


def _parse_size(text: str) -> int:
    text = text.strip().upper().removesuffix("IB").removesuffix("B")
    factor = {"K": 1024, "M": 1024**2, "G": 1024**3}.get(text[-1:], 0)
    if factor:
        return int(text[:-1]) * factor
    return int(text) * 1024


class DerivationGate:
    """Lets at most ``slots`` derivations run at once in every process sharing ``directory``.

    Each derivation is memory-hard and keeps one core busy. Running more of them than
    there are cores only makes them all slower: they evict each other's memory from
    the caches and the scheduler switches between them, so sixteen reporters
    submitting together would each wait longer and the machine would finish fewer
    submissions per second. The gate queues the extra ones instead.

    A slot is an exclusive ``flock`` on one of ``slots`` files in ``directory``, so
    the web server's processes and ``tipline worker`` share one limit and a process
    that dies frees its slot at once. Inside a process a semaphore first keeps the
    threads that contend for the files to ``slots``; without a directory that
    semaphore is the whole gate, for this process alone.
    """

    def __init__(self, slots: int, directory: Path | None) -> None:
        if slots < 1:
            msg = "a derivation gate needs at least one slot"
            raise ValueError(msg)
        self.slots = slots
        self._directory = directory
        self._paths: list[Path] = []
        if directory is not None:  # None: this process alone
            directory.mkdir(parents=True, exist_ok=True)
            self._paths = [directory / f"kdf-slot-{index}.lock" for index in range(slots)]
            for path in self._paths:
                path.touch(exist_ok=True)
        self._threads = threading.BoundedSemaphore(slots)
        self._warned = False  # the slot files failed once: said once, not at every derivation
        # A child forked while threads of this process held permits starts with them all free.
        os.register_at_fork(after_in_child=self._reset_after_fork)

    def _reset_after_fork(self) -> None:
        self._threads = threading.BoundedSemaphore(self.slots)

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        with self._threads:
            descriptor = self._take() if self._paths else None
            try:
                yield
            finally:
                if descriptor is not None:
                    fcntl.flock(descriptor, fcntl.LOCK_UN)
                    os.close(descriptor)

    def _open(self, path: Path) -> int:
        try:
            return os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except FileNotFoundError:  # the folder went away (a clean-up of the data folder): make it again
            path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)

    def _take(self) -> int | None:
        """An exclusive lock on a slot file; ``None`` if the files cannot be used at all."""
        start = secrets.randbelow(self.slots)  # processes do not all queue on the first file
        order = [self._paths[(start + offset) % self.slots] for offset in range(self.slots)]
        try:
            for path in order:  # a free slot, if there is one
                descriptor = self._open(path)
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(descriptor)
                    continue
                return descriptor
            descriptor = self._open(order[0])  # else queue for one
        except OSError as error:
            if not self._warned:
                self._warned = True
                log.warning("Argon2id slots held per process only: %s", error.strerror)
            return None
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        except BaseException:
            os.close(descriptor)
            raise
        return descriptor


_gate: DerivationGate | None = None


def limit_concurrency(gate: DerivationGate | None) -> None:
    """Send every later derivation of this process through ``gate`` (``None``: no limit)."""
    global _gate  # noqa: PLW0603 - one gate per process, set once at start-up
    _gate = gate


def derive(secret: bytes, salt: bytes, cost: KdfCost, size: int = 32) -> bytes:
    """Derive ``size`` bytes from ``secret`` and a 16-byte ``salt`` with Argon2id."""
    gate = _gate
    if gate is None:
        return bytes(argon2id.kdf(size, secret, salt, opslimit=cost.ops, memlimit=cost.mem))
    with gate.slot():
        return bytes(argon2id.kdf(size, secret, salt, opslimit=cost.ops, memlimit=cost.mem))
