"""Cleaning is decided by a file's content, never by its name alone."""

from __future__ import annotations

import io
import random
import struct
import tarfile
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from tipline.conftest import jpeg_with_exif, wav_bytes
from tipline.register import cleaning, filetypes

GPS = 0x8825


def _image(kind: str, **options: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, kind, **options)
    return out.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def _tar() -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as archive:
        member = tarfile.TarInfo("notes.txt")
        member.size = 5
        archive.addfile(member, io.BytesIO(b"notes"))
    return out.getvalue()


def _tiff(*tags: int) -> bytes:
    """A little-endian TIFF whose first directory has ``tags`` (each a LONG of value 1)."""
    entries = b"".join(struct.pack("<HHII", tag, 4, 1, 1) for tag in tags)
    return b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", len(tags)) + entries + b"\x00" * 4


def _ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00" * 64


RANDOM = random.Random(7).randbytes(4096)

CONTENT = [
    ("jpeg", _image("JPEG"), "x.bin", ".jpg"),
    ("png", _image("PNG"), "x", ".png"),
    ("gif", _image("GIF"), "x.jpg", ".gif"),
    ("tiff", _image("TIFF"), "x.doc", ".tiff"),
    ("pdf", _image("PDF"), "x.txt", ".pdf"),
    ("pdf after some junk", b"junk\n" * 10 + _image("PDF"), "x", ".pdf"),
    ("webp", _image("WEBP"), "x.jpg", ".webp"),
    ("wav", wav_bytes(), "x.mp3", ".wav"),
    ("flac", b"fLaC\x00\x00\x00\x22" + bytes(34), "x", ".flac"),
    ("ogg", b"OggS\x00\x02" + bytes(40), "x", ".ogg"),
    ("mp3 with a tag", b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(100), "x", ".mp3"),
    ("mp3 frame", b"\xff\xfb\x90\x64" + bytes(400), "x", ".mp3"),
    ("heic", _ftyp(b"mif1", b"mif1", b"heic"), "x.jpg", ".heic"),
    ("mp4", _ftyp(b"isom", b"isom", b"avc1"), "x", ".mp4"),
    ("m4a audio", _ftyp(b"M4A ", b"M4A ", b"isom"), "x.mp4", None),
    ("avif", _ftyp(b"avif", b"mif1", b"avif"), "x.heic", None),
    ("docx", _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}), "x.zip", ".docx"),
    ("xlsx", _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<w/>"}), "x", ".xlsx"),
    ("pptx", _zip({"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p/>"}), "x", ".pptx"),
    ("odt", _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<a/>"}), "x", ".odt"),
    ("epub", _zip({"mimetype": b"application/epub+zip", "OEBPS/a.xhtml": b"<a/>"}), "x.odt", ".epub"),
    ("zip", _zip({"photo.jpg": jpeg_with_exif()}), "photo.jpg", ".zip"),
    ("tar", _tar(), "x.txt", None),
    ("gzip", b"\x1f\x8b\x08\x00" + bytes(40), "x.svg", None),
    ("svg", b'<?xml version="1.0"?>\n<!-- by me -->\n<svg xmlns="http://www.w3.org/2000/svg"/>', "x.txt", ".svg"),
    ("html", b"\xef\xbb\xbf  <!DOCTYPE html>\n<html><head><meta name=author content=me></head></html>", "x", ".html"),
    ("xhtml", b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"></html>', "x.xml", ".html"),
    ("other xml", b'<?xml version="1.0"?><office:document xmlns:office="urn:x"/>', "x.txt", None),
    ("plain text named as such", b"Meet at noon.\n", "notes.txt", ".txt"),
    ("style sheet", b"/* by me */ p { color: red }\n", "site.css", ".css"),
    ("plain text named otherwise", b"Meet at noon.\n", "notes.xyz", None),
    ("rtf named as text", b"{\\rtf1{\\info{\\author Me}}Hello}", "letter.txt", None),
    ("postscript named as text", b"%!PS-Adobe-3.0\n%%Creator: Me\n", "x.txt", None),
    ("binary named as text", b"Meet\x00at noon", "notes.txt", None),
    ("raw camera file (sub-images)", _tiff(0x0100, 0x014A), "x.tif", None),
    ("DNG", _tiff(0x0100, 0xC612), "x.tiff", None),
    ("TIFF preview first", _tiff(0x00FE, 0x0100), "x.tiff", None),
    ("plain TIFF directory", _tiff(0x0100, 0x0101), "x", ".tiff"),
    ("random bytes", RANDOM, "a.jpg", None),
    ("empty", b"", "a.txt", None),
]


@pytest.mark.parametrize(("data", "name", "expected"), [case[1:] for case in CONTENT], ids=[c[0] for c in CONTENT])
def test_the_type_is_read_from_the_content(tmp_path: Path, data: bytes, name: str, expected: str | None) -> None:
    path = tmp_path / "upload"
    path.write_bytes(data)
    assert filetypes.detect(path, name) == expected


def _cleaned(tmp_path: Path, data: bytes, name: str) -> bytes | None:
    source = tmp_path / "upload"
    source.write_bytes(data)
    with cleaning.cleaned_copy(source, name) as outcome:
        return outcome.path.read_bytes() if outcome.path is not None else None


@pytest.mark.parametrize("name", ["photo.exe", "p" * 200, "report.pdf.exe", "notes.txt", "photo.zip"])
def test_a_gps_photo_is_cleaned_whatever_its_name(tmp_path: Path, name: str) -> None:
    """``"p" * 200``: a 204-character name ending in ``.jpg`` cut to 200, extension lost."""
    photo = jpeg_with_exif("SecretCam-9")
    assert GPS in Image.open(io.BytesIO(photo)).getexif()
    cleaned = _cleaned(tmp_path, photo, name)
    assert cleaned is not None
    assert cleaned.startswith(b"\xff\xd8")
    assert b"SecretCam-9" not in cleaned
    assert b"Exif" not in cleaned
    assert GPS not in Image.open(io.BytesIO(cleaned)).getexif()


def test_a_pdf_named_as_a_picture_is_rasterised_as_a_pdf(tmp_path: Path) -> None:
    source = tmp_path / "upload"
    Image.new("RGB", (50, 50), "white").save(source, "PDF", author="Secret Author 77")
    with cleaning.cleaned_copy(source, "scan.jpg") as outcome:
        assert outcome.path is not None
        assert outcome.rasterised
        data = outcome.path.read_bytes()
    assert data.startswith(b"%PDF")
    assert b"Secret Author 77" not in data


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (_zip({"photo.jpg": jpeg_with_exif()}), "photo.jpg"),
        (RANDOM, "a.jpg"),
        (_tar(), "photo.jpg"),
        (b"Meet at noon.\n", "notes.xyz"),
        (b"{\\rtf1{\\info{\\author Me}}Hello}", "letter.txt"),
    ],
    ids=["zip named photo.jpg", "random bytes named a.jpg", "tar", "text of no known kind", "rtf named .txt"],
)
def test_an_archive_or_unknown_content_is_held_whatever_its_name(tmp_path: Path, data: bytes, name: str) -> None:
    assert _cleaned(tmp_path, data, name) is None


def test_plain_text_named_as_text_is_passed_as_it_is(tmp_path: Path) -> None:
    assert _cleaned(tmp_path, b"extra evidence\n", "more.txt") == b"extra evidence\n"
