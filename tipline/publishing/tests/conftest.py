"""Fixtures of the official channel's tests: editors, articles, a real SMTP server, the job runner."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from PIL import Image as PILImage

from tipline.accounts import services as accounts
from tipline.accounts.models import Role, StaffUser
from tipline.conftest import PASSWORD
from tipline.jobs import services as jobs
from tipline.publishing import services
from tipline.publishing.models import Article, Category
from tipline.testing import Mailbox, smtp_server


@pytest.fixture(autouse=True)
def _publishing_media(tmp_path: Path, settings: Any) -> None:
    settings.TIPLINE_PUBLISHING_MEDIA_DIR = tmp_path / "public-media"
    settings.TIPLINE_SITE_URL = "https://tips.example.org"
    settings.TIPLINE_PUBLIC_STAMP_SECONDS = 0  # a test reads its own writes at once


@dataclass
class Editors:
    author: StaffUser
    reviewer: StaffUser


def make_staff(name: str, roles: list[Role]) -> StaffUser:
    return accounts.create_staff(username=name, password=PASSWORD, roles=roles, validate=False)


@pytest.fixture
def editors(db: None) -> Editors:
    """Two editors: one writes, the other reviews and publishes."""
    return Editors(author=make_staff("author", [Role.EDITOR]), reviewer=make_staff("reviewer", [Role.EDITOR]))


def category(slug: str = "news") -> Category:
    return Category.objects.get(slug=slug)


CASE = {
    "what_happened": "A clerk split a contract.",
    "how_noticed": "A colleague saw the invoices.",
    "what_law_says": "Splitting contracts is unlawful.",
    "how_to_report": "Use the online form.",
}


def content(**overrides: Any) -> services.ArticleContent:
    values: dict[str, Any] = {
        "title": "Council audit finds missing funds",
        "summary": "An audit of the council found gaps in the accounts.",
        "body": "The audit **found** gaps.\n\n## Details\n\nMore text here.",
        "language": "en",
        "category": category(),
        "tags": ["audit", "council"],
    }
    values.update(overrides)
    return services.ArticleContent(**values)


def publish(editors: Editors, **overrides: Any) -> Article:
    """Write, submit and publish an article through the real workflow."""
    article = services.create_article(author=editors.author, content=content(**overrides))
    services.submit_for_review(article=article, by=editors.author)
    return services.publish_article(article=article, by=editors.reviewer)


def run_jobs() -> int:
    """Run every due job in this process, as ``tipline worker --once`` does."""
    return jobs.work(stop=threading.Event(), drain=True, worker_id="test:1:aaaaaa")


def login(client: Client, user: StaffUser) -> Client:
    """Log in through the real staff log-in pages (CSRF enforced)."""
    from tipline.accounts.testing import login_staff

    login_staff(client, user.username, PASSWORD)
    return client


def png_bytes(size: tuple[int, int] = (2400, 1200), color: tuple[int, int, int] = (10, 120, 200)) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


# ---------------------------------------------------------------- SMTP


@pytest.fixture
def smtp(settings: Any) -> Iterator[Mailbox]:
    """A real SMTP server on localhost (aiosmtpd); Django's SMTP backend talks to it."""
    with smtp_server() as (mailbox, port):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = port
        settings.EMAIL_USE_TLS = False
        yield mailbox
