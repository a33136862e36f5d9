"""Shared fixtures: a seeded organisation, a web channel, staff with key pairs."""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client

from tipline.accounts import services as accounts
from tipline.accounts.models import Role, StaffUser
from tipline.register import services as register
from tipline.register.models import Channel, FieldType, Question

PASSWORD = "correct horse battery staple"


@dataclass
class Setup:
    channel: Channel
    admin: StaffUser
    supervisor: StaffUser
    handler: StaffUser
    other_handler: StaffUser


@pytest.fixture(autouse=True)
def _private_stores(tmp_path: Path, settings: object) -> Iterator[None]:
    """Each test gets its own attachment store and a clean cache (rate limits live in the
    test database, which each test starts empty)."""
    from django.core.cache import cache

    settings.TIPLINE_STORAGE_URL = f"file://{tmp_path / 'attachments'}"  # type: ignore[attr-defined]
    # So many buckets that the tests' few clients never share one (tipline.limits).
    settings.TIPLINE_LIMIT_BUCKETS = 2**40  # type: ignore[attr-defined]
    # Staff passwords at a token cost (tests/test_hardening.py pins the app's own hasher).
    settings.PASSWORD_HASHERS = ["tipline.testing.TokenCostArgon2PasswordHasher"]  # type: ignore[attr-defined]
    # Unit tests render templates without running collectstatic.
    settings.STORAGES = {  # type: ignore[attr-defined]
        **settings.STORAGES,  # type: ignore[attr-defined]
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    cache.clear()
    yield
    cache.clear()
    # A request in Chinese leaves Chinese active in this thread (Django's LocaleMiddleware
    # activates per request and never deactivates); the next test starts in the default.
    from django.utils import translation

    translation.deactivate()


@pytest.fixture
def org(db: None) -> Setup:
    _, escrow = accounts.create_organisation(name="Test Integrity Office")
    admin = accounts.create_staff(username="admin", password=PASSWORD, roles=[Role.ADMIN], escrow_private_key=escrow)
    supervisor = accounts.create_staff(username="supervisor", password=PASSWORD, roles=[Role.SUPERVISOR])
    handler = accounts.create_staff(username="handler", password=PASSWORD, roles=[Role.HANDLER])
    other = accounts.create_staff(username="other", password=PASSWORD, roles=[Role.HANDLER])
    channel = Channel.objects.create(slug="web", name="Web tips", description="Tell us")
    channel.recipients.add(handler)
    questions = [
        ("what", FieldType.LONG_TEXT, "What happened?", True, 5000, ""),
        ("where", FieldType.SHORT_TEXT, "Where?", False, 100, ""),
        ("when", FieldType.DATE, "When?", False, None, ""),
        ("kind", FieldType.SINGLE_CHOICE, "Kind", True, None, "Bribery\nFraud"),
        ("evidence", FieldType.MULTIPLE_CHOICE, "Evidence", False, None, "Documents\nPhotos"),
        ("ongoing", FieldType.YES_NO, "Ongoing?", False, None, ""),
        ("files", FieldType.FILE, "Files", False, None, ""),
    ]
    Question.objects.bulk_create(
        [
            Question(channel=channel, order=i, key=k, field_type=t, label=label, required=r, max_length=m, choices=c)
            for i, (k, t, label, r, m, c) in enumerate(questions)
        ]
    )
    register.publish_questionnaire(channel=channel)
    return Setup(channel=channel, admin=admin, supervisor=supervisor, handler=handler, other_handler=other)


@pytest.fixture
def client() -> Client:
    return Client(enforce_csrf_checks=True)


def csrf_token(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return str(response.context["csrf_token"])


def wav_bytes() -> bytes:
    """A tenth of a second of silence as a WAV file: a recording."""
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(b"\x00\x00" * 800)
    return out.getvalue()


def jpeg_with_exif(marker: str = "TestCam") -> bytes:
    """A small JPEG carrying EXIF camera model and GPS position."""
    from PIL import Image

    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x0110] = marker  # camera model
    exif[0x010F] = "MakerCorp"
    gps = {1: "N", 2: (52.0, 22.0, 3.5), 3: "E", 4: (13.0, 24.0, 1.25)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()
