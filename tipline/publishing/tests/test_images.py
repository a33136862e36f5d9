"""Images are resized and stripped of metadata; oversized or broken files are refused clearly."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image as PILImage

from tipline.conftest import csrf_token, jpeg_with_exif
from tipline.publishing import services
from tipline.publishing.exceptions import ImageRejected, ImageTooLarge, ImageTooManyPixels, MissingAltText
from tipline.publishing.images import media_dir
from tipline.publishing.models import Image
from tipline.publishing.tests.conftest import Editors, login, png_bytes


def _upload(data: bytes, editors: Editors, alt: str = "A blue square") -> Image:
    return services.upload_image(upload=io.BytesIO(data), alt_text=alt, by=editors.author)


def _big_exif_jpeg() -> bytes:
    picture = PILImage.new("RGB", (3000, 2000), (200, 30, 30))
    exif = PILImage.Exif()
    exif[0x0110] = "SecretCam-9"
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 3.5), 3: "E", 4: (13.0, 24.0, 1.25)}
    exif[0x0112] = 6  # rotated: the stored picture must come out upright
    out = io.BytesIO()
    picture.save(out, "JPEG", exif=exif, comment=b"secret comment")
    return out.getvalue()


def test_a_large_photo_is_resized_and_loses_its_metadata(editors: Editors) -> None:
    image = _upload(_big_exif_jpeg(), editors)
    stored = (media_dir() / image.file_name).read_bytes()
    assert b"SecretCam-9" not in stored
    assert b"secret comment" not in stored
    assert b"Exif" not in stored
    with PILImage.open(io.BytesIO(stored)) as picture:
        assert picture.getexif() == {}
        assert "icc_profile" not in picture.info
        # Turned upright (orientation 6 is a quarter turn), then fitted to the maximum width.
        assert picture.height > picture.width
        assert picture.width <= 1600
    assert image.thumb_width == 640
    assert (media_dir() / image.thumb_name).exists()


def test_a_small_jpeg_with_gps_is_cleaned(editors: Editors) -> None:
    image = _upload(jpeg_with_exif("Tracker-1"), editors)
    for name in (image.file_name, image.thumb_name):
        data = (media_dir() / name).read_bytes()
        assert b"Tracker-1" not in data
        assert b"MakerCorp" not in data


def test_a_transparent_png_stays_a_png(editors: Editors) -> None:
    out = io.BytesIO()
    PILImage.new("RGBA", (50, 50), (0, 0, 0, 0)).save(out, "PNG")
    image = _upload(out.getvalue(), editors)
    assert image.file_name.endswith(".png")


def test_the_same_picture_twice_is_kept_once(editors: Editors) -> None:
    first = _upload(png_bytes(), editors)
    second = _upload(png_bytes(), editors)
    assert first.pk == second.pk
    assert Image.objects.count() == 1


def test_an_oversized_file_is_refused_with_its_limit(editors: Editors, settings: Any) -> None:
    settings.TIPLINE_IMAGE_MAX_SIZE = 1000
    with pytest.raises(ImageTooLarge) as refused:
        _upload(png_bytes((400, 400), (1, 2, 3)) + b"\0" * 2000, editors)
    assert "1000" in refused.value.user_message() or "KB" in refused.value.user_message()
    assert Image.objects.count() == 0


def test_a_decompression_bomb_is_refused(editors: Editors, settings: Any) -> None:
    settings.TIPLINE_IMAGE_MAX_PIXELS = 1_000_000
    out = io.BytesIO()
    PILImage.new("1", (5000, 5000)).save(out, "PNG")  # tiny file, 25 million pixels
    with pytest.raises(ImageTooManyPixels):
        _upload(out.getvalue(), editors)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not an image at all",
        b"%PDF-1.4 pretending",
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        jpeg_with_exif()[:300],  # truncated
        b"\x89PNG\r\n\x1a\n" + b"\0" * 100,  # a PNG header and nothing valid
    ],
    ids=["empty", "text", "pdf", "svg", "truncated-jpeg", "broken-png"],
)
def test_a_broken_or_foreign_file_is_refused(editors: Editors, data: bytes) -> None:
    with pytest.raises(ImageRejected):
        _upload(data, editors)
    assert not list(Path(media_dir()).glob("*")) if media_dir().exists() else True


def test_an_image_without_a_text_alternative_is_refused(editors: Editors) -> None:
    with pytest.raises(MissingAltText):
        _upload(png_bytes(), editors, alt="   ")


def test_the_upload_page_explains_an_oversized_image(editors: Editors, client: Client, settings: Any) -> None:
    settings.TIPLINE_IMAGE_MAX_SIZE = 2048
    login(client, editors.author)
    token = csrf_token(client, "/editor/images/")
    upload = SimpleUploadedFile("big.png", png_bytes((800, 800), (5, 5, 5)) + b"\0" * 5000, content_type="image/png")
    response = client.post("/editor/images/", {"csrfmiddlewaretoken": token, "image": upload, "alt_text": "Big"})
    assert response.status_code == 413
    assert "larger than the limit" in response.content.decode()


def test_the_upload_page_explains_a_broken_image(editors: Editors, client: Client) -> None:
    login(client, editors.author)
    token = csrf_token(client, "/editor/images/")
    upload = SimpleUploadedFile("photo.jpg", b"\xff\xd8\xff\xe0 broken", content_type="image/jpeg")
    response = client.post("/editor/images/", {"csrfmiddlewaretoken": token, "image": upload, "alt_text": "A photo"})
    assert response.status_code == 400
    assert "not an image we can use" in response.content.decode()


def test_an_uploaded_image_is_served_with_a_long_cache(editors: Editors, client: Client) -> None:
    image = _upload(png_bytes(), editors)
    response = client.get(image.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "immutable" in response["Cache-Control"]
    assert client.get("/media/publishing/" + "0" * 24 + ".jpg").status_code == 404
    assert client.get("/media/publishing/../secret_key").status_code == 404
