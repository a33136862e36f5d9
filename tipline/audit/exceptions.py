from __future__ import annotations


class AuditChainBroken(Exception):
    """The chain does not verify; ``seq`` names the first entry that fails."""

    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(f"audit chain broken at entry #{seq}: {reason}")
        self.seq = seq
        self.reason = reason
