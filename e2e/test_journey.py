"""A reporter without JavaScript and a handler talk through the real pages."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest
from PIL import Image

from e2e import seed
from e2e.journey import CAMERA_MAKER, EXIF_GPS_IFD, EXIF_MODEL, PHOTO_SIZE, Journey

pytestmark = pytest.mark.e2e


def test_the_reporter_gets_a_sixteen_digit_receipt_kept_until_written_down(journey: Journey) -> None:
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", journey.record.receipt)
    assert journey.record.receipt_shown_after_reload, "kept for the session until written down"


def test_the_handler_reads_the_answers_the_reporter_typed(journey: Journey) -> None:
    answers = journey.record.answers_seen_by_handler
    assert journey.markers.what in answers
    assert journey.markers.where in answers
    assert "Bauamt Süd" in answers
    assert "贿赂" in answers
    assert seed.KIND_CHOICES[0] in answers


def test_the_handler_does_not_see_the_sealed_identity(journey: Journey) -> None:
    assert journey.markers.identity.encode() in journey.sent_by_reporter
    assert journey.markers.identity not in journey.record.case_page_seen_by_handler


def test_the_photo_the_handler_downloads_carries_no_exif(journey: Journey) -> None:
    original = Image.open(io.BytesIO(journey.record.original_photo))
    assert original.getexif()[EXIF_MODEL] == journey.markers.camera_model
    assert original.getexif().get_ifd(EXIF_GPS_IFD)

    downloaded_bytes = journey.record.downloaded_photo
    downloaded = Image.open(io.BytesIO(downloaded_bytes))
    downloaded.load()
    assert (downloaded.format, downloaded.size) == ("JPEG", PHOTO_SIZE)
    assert len(downloaded.getexif()) == 0
    assert "exif" not in downloaded.info
    assert not downloaded.getexif().get_ifd(EXIF_GPS_IFD)
    assert journey.markers.camera_model.encode() not in downloaded_bytes
    assert CAMERA_MAKER.encode() not in downloaded_bytes


def test_the_reporter_reads_the_reply_and_the_handler_reads_the_answer(journey: Journey) -> None:
    assert any(journey.markers.reply in message for message in journey.record.conversation_seen_by_reporter)
    assert any(journey.markers.reporter_answer in message for message in journey.record.conversation_seen_by_handler)


def test_the_reporter_pages_load_nothing_from_another_origin(journey: Journey) -> None:
    requested = journey.record.reporter_browser.requested_urls
    assert requested
    origins = {urlsplit(url).netloc for url in requested}
    assert len(origins) == 1, origins


def test_only_the_mistyped_receipt_is_refused_and_no_page_breaks_a_policy(journey: Journey) -> None:
    reporter, handler = journey.record.reporter_browser, journey.record.handler_browser
    assert reporter.refused == [(403, "/portal/")]
    assert handler.refused == []
    assert reporter.page_errors() == []
    assert handler.page_errors() == []
