"""Streamed downloads of decrypted attachments."""

from __future__ import annotations

from collections.abc import Iterator

from django.http import FileResponse


def attachment_response(*, name: str, size: int, chunks: Iterator[bytes]) -> FileResponse:
    """Stream decrypted chunks as a download; never buffered whole, never cached."""
    response = FileResponse(chunks, as_attachment=True, filename=name, content_type="application/octet-stream")
    response["Content-Length"] = str(size)
    return response
