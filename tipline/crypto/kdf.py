"""Argon2id key derivation (libsodium ``crypto_pwhash``)."""

from __future__ import annotations

from dataclasses import dataclass

from nacl.pwhash import argon2id

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


def derive(secret: bytes, salt: bytes, cost: KdfCost, size: int = 32) -> bytes:
    """Derive ``size`` bytes from ``secret`` and a 16-byte ``salt`` with Argon2id."""
    return bytes(argon2id.kdf(size, secret, salt, opslimit=cost.ops, memlimit=cost.mem))
