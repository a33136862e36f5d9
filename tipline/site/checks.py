"""System checks run by every ``tipline`` command: a configuration that would put a
reporter's file on a disk in clear stops the server before it serves anyone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from tipline import client_limits


@register()
def clean_dir_is_memory_backed(**_: Any) -> list[Error]:
    """Uploads are spooled and cleaned in ``TIPLINE_CLEAN_DIR`` before encryption."""
    folder = Path(settings.TIPLINE_CLEAN_DIR)
    if not folder.is_dir():
        return [
            Error(
                f"TIPLINE_CLEAN_DIR {folder} does not exist.",
                hint="Point it at a memory-backed folder (tmpfs), such as /dev/shm.",
                id="tipline.E001",
            )
        ]
    if not client_limits.memory_backed(folder):
        return [
            Error(
                f"TIPLINE_CLEAN_DIR {folder} is not memory-backed: uploads would rest on a disk in clear "
                "before they are cleaned and encrypted.",
                hint="Point it at a tmpfs, such as /dev/shm, or mount one there.",
                id="tipline.E002",
            )
        ]
    return []
