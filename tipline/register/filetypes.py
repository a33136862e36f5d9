"""What an upload is, read from its bytes: the reporter's file name never lets a file skip cleaning.

A GPS photo named ``x.pdf.exe``, or whose long name lost its extension when it was cut, is
still a JPEG and is cleaned as one; a zip named ``photo.jpg`` is still an archive and is
held. ``detect`` answers the extension mat2 should see for the content (libmat2 picks its
parser by extension), or ``None`` when the content is not a type it recognises.

Plain text is the one case where the name counts, and only to hold more: mat2 copies
plain text as it is, so a text file is called cleaned only when the reporter presented it
as plain text (``.txt``, ``.text``) or as a style sheet (``.css``, whose comments mat2
removes). Any other text (code, CSV, XML, RTF, PostScript …) may carry metadata in its
content and is held, as before.
"""

from __future__ import annotations

import codecs
import lzma
import re
import struct
import zipfile
import zlib
from pathlib import Path

_HEAD = 64 * 1024
_CHUNK = 1 << 20
_ZIP = ".zip"
_REFUSED = ""  # recognised, and not to be cleaned: archives, raw camera files, other containers

_ODF = {
    "application/vnd.oasis.opendocument.text": ".odt",
    "application/vnd.oasis.opendocument.spreadsheet": ".ods",
    "application/vnd.oasis.opendocument.presentation": ".odp",
    "application/vnd.oasis.opendocument.graphics": ".odg",
    "application/vnd.oasis.opendocument.chart": ".odc",
    "application/vnd.oasis.opendocument.formula": ".odf",
    "application/vnd.oasis.opendocument.image": ".odi",
    "application/epub+zip": ".epub",
}
_OOXML = {"word/document.xml": ".docx", "xl/workbook.xml": ".xlsx", "ppt/presentation.xml": ".pptx"}
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"}
_MP4_BRANDS = {b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"M4VH", b"mmp4"}
_PREFIXES = (
    (b"\xff\xd8\xff", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"GIF87a", ".gif"),
    (b"GIF89a", ".gif"),
    (b"fLaC", ".flac"),
    (b"OggS", ".ogg"),
    (b"ID3", ".mp3"),
    (bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c"), ".wmv"),  # ASF
    (b"PK\x03\x04", _ZIP),
    (b"PK\x05\x06", _ZIP),  # an empty zip
    (b"\x1f\x8b", _REFUSED),  # gzip
)
_RIFF = {b"WEBP": ".webp", b"WAVE": ".wav", b"AVI ": ".avi"}
# TIFF tags of raw camera files (DNG, NEF, ARW …): GdkPixbuf would keep only their small preview.
_SUB_IFDS, _DNG_VERSION, _NEW_SUBFILE_TYPE = 0x014A, 0xC612, 0x00FE
_PLAIN_TEXT_NAMES = {".txt": ".txt", ".text": ".txt", ".css": ".css"}
# Text formats with metadata of their own (RTF's \info, PostScript's %%Creator, FDF, torrents).
_TEXT_WITH_METADATA = ("{\\rtf", "%!", "%FDF", "d8:announce", "d4:info")
_NOT_TEXT = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_MARKUP_PROLOGUE = re.compile(
    r"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)", re.DOTALL | re.IGNORECASE
)
_ELEMENT = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_MARKUP_ROOTS = {"svg": ".svg", "html": ".html", "ncx": ".ncx"}


def detect(path: Path, name: str) -> str | None:
    """The extension of the type of ``path``'s content (``.jpg``, ``.pdf``, ``.docx`` …), or None.

    ``name`` is the reporter's file name: it is looked at only for plain text (see above).
    An archive comes back as ``.zip`` and is never to be expanded.
    """
    with path.open("rb") as handle:
        head = handle.read(_HEAD)
    if not head:
        return None
    found = _by_signature(head)
    if found == _ZIP:
        return _zip_kind(path)
    if found is not None:
        return found or None
    return _text_kind(path, head, name)


def _by_signature(head: bytes) -> str | None:  # noqa: PLR0911 - one flat table of magic numbers
    """The type from the magic numbers at the start; ``_REFUSED`` for known types not to clean."""
    for prefix, kind in _PREFIXES:
        if head.startswith(prefix):
            return kind
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return ".tiff" if _plain_tiff(head) else _REFUSED
    if head[:4] == b"RIFF":
        return _RIFF.get(head[8:12], _REFUSED)
    if head[:4] == b"FORM":
        return ".aiff" if head[8:12] in (b"AIFF", b"AIFC") else _REFUSED
    if head[4:8] == b"ftyp":
        return _ftyp_kind(head)
    if _mpeg_audio_frame(head):
        return ".mp3"
    if head[:2] in (b"P6", b"P3") and head[2:3].isspace():
        return ".ppm"
    if head[257:262] == b"ustar":
        return _REFUSED
    if b"%PDF-" in head[:1024]:  # as PDF readers, which accept a header anywhere in the first 1 KiB
        return ".pdf"
    return None


def _mpeg_audio_frame(head: bytes) -> bool:
    """An MPEG audio frame header (MP1/2/3 without an ID3 tag): sync, and no reserved value."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 3, (head[1] >> 1) & 3
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 3
    return version != 1 and layer != 0 and bitrate not in (0, 15) and rate != 3


def _ftyp_kind(head: bytes) -> str:
    """HEIC or MP4 by the brands of the ``ftyp`` box; other ISO media (AVIF, M4A, QuickTime) refused."""
    box = head[8 : min(int.from_bytes(head[:4], "big"), len(head))]
    # The major brand, a minor version, then the compatible brands.
    brands = {box[:4]} | {box[i : i + 4] for i in range(8, len(box) - 3, 4)}
    if brands & _HEIF_BRANDS:
        return ".heic"
    if head[8:12] in _MP4_BRANDS:
        return ".mp4"
    return _REFUSED


def _plain_tiff(head: bytes) -> bool:
    """A TIFF image, not a raw camera file whose first image is only a preview."""
    if head[8:10] == b"CR":  # Canon CR2
        return False
    order = "<" if head[:2] == b"II" else ">"
    offset = struct.unpack(order + "I", head[4:8])[0]
    if offset + 2 > len(head):
        return False
    count = struct.unpack(order + "H", head[offset : offset + 2])[0]
    end = offset + 2 + 12 * count
    if end > len(head):
        return False
    for entry in range(offset + 2, end, 12):
        tag, kind, _, value = struct.unpack(order + "HHII", head[entry : entry + 12])
        if kind == 3:  # SHORT: the value sits in the first two bytes of the field
            value = struct.unpack(order + "H", head[entry + 8 : entry + 10])[0]
        if tag in (_SUB_IFDS, _DNG_VERSION) or (tag == _NEW_SUBFILE_TYPE and value & 1):
            return False
    return True


def _zip_kind(path: Path) -> str | None:
    """An office, OpenDocument or EPUB file by its members; any other zip is an archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                member = archive.getinfo("mimetype")
                if member.file_size > 100:
                    return _ZIP
                return _ODF.get(archive.read(member).decode("ascii").strip(), _ZIP)
    except (
        zipfile.BadZipFile,
        OSError,
        ValueError,
        RuntimeError,
        NotImplementedError,
        EOFError,
        zlib.error,
        lzma.LZMAError,
    ):
        return None  # damaged (a member's compressed data too): nothing to clean it as
    if "[Content_Types].xml" in names:
        for main_part, extension in _OOXML.items():
            if main_part in names:
                return extension
    return _ZIP


def _text_kind(path: Path, head: bytes, name: str) -> str | None:
    """SVG, HTML or NCX by their first element; plain text as the reporter named it; else None."""
    text = _decoded_head(head)
    if text is None:
        return None
    start = text.lstrip("\ufeff \t\r\n")
    if start.startswith("<"):
        return _markup_kind(start)
    if start.startswith(_TEXT_WITH_METADATA):
        return None
    kind = _PLAIN_TEXT_NAMES.get(Path(name).suffix.lower())
    return kind if kind is not None and _all_text(path) else None


def _decoded_head(head: bytes) -> str | None:
    if _NOT_TEXT.search(head):
        return None
    try:
        return codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return None


def _markup_kind(text: str) -> str | None:
    position = 0
    while match := _MARKUP_PROLOGUE.match(text, position):
        if match.group(0).lstrip()[:14].lower() == "<!doctype html":
            return ".html"
        position = match.end()
    element = _ELEMENT.match(text[position:].lstrip())
    return _MARKUP_ROOTS.get(element.group(1).lower()) if element else None


def _all_text(path: Path) -> bool:
    """Every byte of the file is UTF-8 text without control characters (mat2 copies it as it is)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                if _NOT_TEXT.search(chunk):
                    return False
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True
