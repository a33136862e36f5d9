"""Uploads that never touch a disk in clear.

Each uploaded file is spooled into a private temporary file in
``TIPLINE_CLEAN_DIR`` (``/dev/shm``, memory-backed, by default) and is
deleted when the request ends. Limits on size per file, total size and
count are enforced while the body is read, so an oversized upload is
stopped without being stored.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, multipartparser

from tipline.register import cleaning
from tipline.register.exceptions import AttachmentsTooLarge, AttachmentTooLarge, ReporterError, TooManyAttachments
from tipline.register.services.files import IncomingFile
from tipline.typed_request import typed

log = logging.getLogger(__name__)

# The headers of one part of a form (its name, the file's name, its type). Django refuses
# a part whose headers pass 1 KiB, which a file name of about 950 characters (or 300
# Chinese ones, percent-encoded by the browser) does: the whole form was lost. The names
# are cut to MAX_FILENAME characters once read; the bound stays, only wider.
MAX_PART_HEADER_BYTES = 16 * 1024


def allow_long_file_names() -> None:
    """Let a form part carry a long file name (called once at start)."""
    current = int(getattr(multipartparser, "MAX_TOTAL_HEADER_SIZE", 1024))
    setattr(multipartparser, "MAX_TOTAL_HEADER_SIZE", max(current, MAX_PART_HEADER_BYTES))  # noqa: B010 - not in the stubs


UPLOAD_PREFIX = "tipline-up-"
# What requests leave in the memory-backed folder while they run: uploads being received,
# and the work folders of cleaning. A process killed mid-request leaves them behind.
_LEFT_BEHIND = (UPLOAD_PREFIX, "tipline-clean-")
# Uploads carry the id of the process receiving them: once it is gone, they are left behind.
_OWNER = re.compile(r"tipline-[a-z]+-(\d+)-")
# No request takes this long: anything older was left by a process that is gone.
STALE_AFTER_SECONDS = 3 * 3600


def _owner_is_gone(name: str) -> bool:
    match = _OWNER.match(name)
    if match is None:
        return False
    try:
        os.kill(int(match.group(1)), 0)
    except ProcessLookupError:
        return True
    except (OSError, OverflowError):
        return False  # alive but not ours to signal, or not a process id at all
    return False


def sweep_left_behind(*, older_than_seconds: int = STALE_AFTER_SECONDS) -> int:
    """Delete uploads and cleaning folders that a crashed or killed process left in the
    memory-backed folder (they hold reporters' files in clear): those whose process is
    gone, and anything older than any request lasts. Run at start and hourly."""
    cutoff = time.time() - older_than_seconds
    removed = 0
    for entry in Path(settings.TIPLINE_CLEAN_DIR).iterdir():
        try:
            if not entry.name.startswith(_LEFT_BEHIND):
                continue
            if not _owner_is_gone(entry.name) and entry.lstat().st_mtime > cutoff:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        except FileNotFoundError:
            continue  # its request ended meanwhile
        except OSError:
            log.warning("Could not delete something left in the memory-backed folder", exc_info=True)
            continue
        removed += 1
    return removed


class ShmUploadedFile(UploadedFile):
    def __init__(self, name: str, content_type: str | None, charset: str | None) -> None:
        handle = tempfile.NamedTemporaryFile(dir=settings.TIPLINE_CLEAN_DIR, prefix=f"{UPLOAD_PREFIX}{os.getpid()}-")  # noqa: SIM115
        super().__init__(handle, name, content_type, 0, charset)
        self._handle = handle

    def temporary_file_path(self) -> str:
        return str(self._handle.name)

    def close(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._handle.close()


class MemoryBackedUploadHandler(FileUploadHandler):
    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.count = 0
        self.total = 0
        self.current_size = 0
        self.current: ShmUploadedFile | None = None

    def _fail(self, error: ReporterError) -> None:
        if self.request is not None and getattr(self.request, "upload_error", None) is None:
            typed(self.request).upload_error = error
        if self.current is not None:
            self.current.close()
            self.current = None
        raise StopUpload(connection_reset=False)

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.count += 1
        self.current_size = 0
        if self.count > settings.TIPLINE_MAX_FILES:
            self._fail(TooManyAttachments(settings.TIPLINE_MAX_FILES))
        self.current = ShmUploadedFile(self.file_name or "file", self.content_type, self.charset)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.current_size += len(raw_data)
        self.total += len(raw_data)
        if self.current_size > settings.TIPLINE_MAX_FILE_SIZE:
            self._fail(AttachmentTooLarge(settings.TIPLINE_MAX_FILE_SIZE))
        if self.total > settings.TIPLINE_MAX_TOTAL_SIZE:
            self._fail(AttachmentsTooLarge(settings.TIPLINE_MAX_TOTAL_SIZE))
        assert self.current is not None  # noqa: S101 - new_file always runs first
        self.current.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.current is None:
            return None
        self.current.seek(0)
        self.current.size = file_size
        done, self.current = self.current, None
        if file_size == 0 and not done.name:
            done.close()
            return None
        return done

    def upload_interrupted(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None


def incoming_files(request: HttpRequest, field: str) -> list[IncomingFile]:
    uploads = [f for f in request.FILES.getlist(field) if isinstance(f, ShmUploadedFile)]
    return [IncomingFile(path=Path(f.temporary_file_path()), name=f.name or "file", size=f.size or 0) for f in uploads]


def upload_limits() -> dict[str, object]:
    """The file limits a reporter is told about on every page that takes files."""
    return {
        "max_file_size": settings.TIPLINE_MAX_FILE_SIZE,
        "max_files": settings.TIPLINE_MAX_FILES,
        "max_total_size": settings.TIPLINE_MAX_TOTAL_SIZE,
        "cleaned_types": sorted(cleaning.supported_extensions()),
    }
