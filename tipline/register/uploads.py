"""Uploads that never touch a disk in clear.

Each uploaded file is spooled into a private temporary file in
``TIPLINE_CLEAN_DIR`` (``/dev/shm``, memory-backed, by default) and is
deleted when the request ends. Limits on size per file, total size and
count are enforced while the body is read, so an oversized upload is
stopped without being stored.
"""

from __future__ import annotations

import contextlib
import tempfile
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

# The headers of one part of a form (its name, the file's name, its type). Django refuses
# a part whose headers pass 1 KiB, which a file name of about 950 characters (or 300
# Chinese ones, percent-encoded by the browser) does: the whole form was lost. The names
# are cut to MAX_FILENAME characters once read; the bound stays, only wider.
MAX_PART_HEADER_BYTES = 16 * 1024


def allow_long_file_names() -> None:
    """Let a form part carry a long file name (called once at start)."""
    current = int(getattr(multipartparser, "MAX_TOTAL_HEADER_SIZE", 1024))
    setattr(multipartparser, "MAX_TOTAL_HEADER_SIZE", max(current, MAX_PART_HEADER_BYTES))  # noqa: B010 - not in the stubs


class ShmUploadedFile(UploadedFile):
    def __init__(self, name: str, content_type: str | None, charset: str | None) -> None:
        handle = tempfile.NamedTemporaryFile(dir=settings.TIPLINE_CLEAN_DIR, prefix="tipline-up-")  # noqa: SIM115
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
