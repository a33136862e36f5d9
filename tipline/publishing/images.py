"""Pictures for articles: checked, resized with Pillow and stripped of every metadata.

The upload is decoded completely (a truncated or forged file is refused), turned
upright from its EXIF orientation, then re-encoded from pixels alone: EXIF, GPS,
XMP, ICC and comments do not survive. Two sizes are kept, named by the digest of
the content, so their addresses can be cached for ever.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError

from tipline.publishing.exceptions import ImageRejected, ImageTooLarge, ImageTooManyPixels

ACCEPTED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
THUMB_WIDTH = 640
# Every name ``process_image`` gives a stored picture, and nothing else: 24 hex digits of
# the digest, an optional width, the extension. No dots, slashes or escapes can hide in it.
NAME_PATTERN = r"[0-9a-f]{24}(?:-[0-9]{2,4})?\.(?:jpg|png)"


@dataclass(frozen=True)
class Variant:
    name: str
    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class ProcessedImage:
    digest: str
    full: Variant
    thumb: Variant


def media_dir() -> Path:
    return Path(settings.TIPLINE_PUBLISHING_MEDIA_DIR)


def _read_limited(upload: IO[bytes]) -> bytes:
    limit = settings.TIPLINE_IMAGE_MAX_SIZE
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ImageTooLarge(limit)
    if not data:
        raise ImageRejected
    return data


def _decode(data: bytes) -> PILImage.Image:
    max_pixels = settings.TIPLINE_IMAGE_MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            picture = PILImage.open(io.BytesIO(data))
            if picture.format not in ACCEPTED_FORMATS:
                raise ImageRejected
            width, height = picture.size
            if width * height > max_pixels:
                raise ImageTooManyPixels(max_pixels)
            picture.seek(0)  # the first frame of an animation
            picture.load()
            return ImageOps.exif_transpose(picture)
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning):
        raise ImageTooManyPixels(max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError):
        raise ImageRejected from None


def _encode(picture: PILImage.Image, width: int) -> tuple[bytes, int, int, str]:
    has_alpha = picture.mode in {"RGBA", "LA", "PA"} or (picture.mode == "P" and "transparency" in picture.info)
    mode = "RGBA" if has_alpha else "RGB"
    converted = picture.convert(mode)
    # A new image from the pixels alone: Pillow carries EXIF, ICC, XMP and comments in
    # ``info`` through convert() and resize(), and some encoders write them back.
    clean = PILImage.frombytes(mode, converted.size, converted.tobytes())
    if clean.width > width:
        height = max(1, round(clean.height * width / clean.width))
        clean = clean.resize((width, height), PILImage.Resampling.LANCZOS)
    out = io.BytesIO()
    if has_alpha:
        clean.save(out, "PNG", optimize=True)
        return out.getvalue(), clean.width, clean.height, "png"
    clean.save(out, "JPEG", quality=85, optimize=True, progressive=True)
    return out.getvalue(), clean.width, clean.height, "jpg"


def process_image(upload: IO[bytes]) -> ProcessedImage:
    """Check, resize and clean an uploaded picture; raise an ``ImageRejected`` on any problem."""
    picture = _decode(_read_limited(upload))
    data, width, height, extension = _encode(picture, settings.TIPLINE_IMAGE_MAX_WIDTH)
    digest = hashlib.sha256(data).hexdigest()
    stem = digest[:24]
    full = Variant(name=f"{stem}.{extension}", data=data, width=width, height=height)
    small, thumb_width, thumb_height, extension = _encode(picture, THUMB_WIDTH)
    thumb = Variant(name=f"{stem}-{THUMB_WIDTH}.{extension}", data=small, width=thumb_width, height=thumb_height)
    return ProcessedImage(digest=digest, full=full, thumb=thumb)


def store_variant(variant: Variant) -> None:
    """Write atomically: a reader never sees half a file."""
    folder = media_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / variant.name
    if target.exists():
        return
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(variant.data)
        os.chmod(temporary, 0o644)  # noqa: PTH101 - on the descriptor's path, before it is visible
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
