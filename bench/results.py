"""Where results go (``bench/results/<name>.json``) and how tables are printed."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cores": os.cpu_count() or 1,
        "cpu": model,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "transparent_hugepages": _transparent_hugepages(),
    }


def _transparent_hugepages() -> str:
    """The kernel's THP mode (``always``, ``madvise`` or ``never``): Argon2id runs much faster with ``always``."""
    try:
        text = Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text()
    except OSError:
        return "unknown"
    chosen = [word.strip("[]") for word in text.split() if word.startswith("[")]
    return chosen[0] if chosen else "unknown"


def source_version() -> dict[str, Any]:
    """The commit of the checkout holding ``bench`` and whether its app code differs from it."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", "-C", str(root), *args], check=False, capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "HEAD")
    return {"commit": commit or None, "app_changed_since_commit": bool(git("status", "--porcelain", "tipline"))}


def now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def write(name: str, data: dict[str, Any], directory: Path = RESULTS_DIR) -> Path:
    """Write ``<directory>/<name>.json`` atomically (a ``.tmp`` file renamed into place)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{name}.json"
    partial = target.with_suffix(".json.tmp")
    partial.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    partial.replace(target)
    return target


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table: the first column left-aligned, the others right-aligned."""
    cells = [[str(c) for c in header]] + [[_cell(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        parts = [row[i].ljust(widths[i]) if i == 0 else row[i].rjust(widths[i]) for i in range(len(row))]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])])


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.2f}"
    return str(value)
