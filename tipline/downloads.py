"""Streamed downloads of decrypted attachments."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from urllib.parse import quote

from django.http import FileResponse

# Characters a quoted filename keeps as they are (RFC 9110 quoted-string, without " and \).
_UNSAFE_IN_QUOTES = re.compile(r'[^\x20-\x7e]|["\\]')


def content_disposition(name: str) -> str:
    """``attachment`` with the name as RFC 6266 gives it: a plain ASCII fallback for old
    clients, and the exact name in UTF-8 (``filename*``) when it is not plain ASCII.
    Control characters and path separators never reach the header."""
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").replace("/", "_").replace("\\", "_")
    name = name.strip() or "file"
    fallback = _UNSAFE_IN_QUOTES.sub("_", name)
    header = f'attachment; filename="{fallback}"'
    if fallback != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header


def attachment_response(*, name: str, size: int, chunks: Iterator[bytes]) -> FileResponse:
    """Stream decrypted chunks as a download; never buffered whole, never cached.

    ``FileResponse`` sets no ``Content-Disposition`` for a generator (it cannot see a
    file name), so it is set here: the browser saves the file under its name and never
    shows it inline."""
    response = FileResponse(chunks, content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition(name)
    response["Content-Length"] = str(size)
    return response
