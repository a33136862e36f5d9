"""E-mails to subscribers: a plain-text and an HTML part, in the subscriber's language,
with one-click unsubscribe headers (RFC 2369 and RFC 8058)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def site_url(path: str = "") -> str:
    """An absolute address on the live instance."""
    return f"{settings.TIPLINE_SITE_URL}{path}"


def _domain() -> str:
    return urlsplit(settings.TIPLINE_SITE_URL).hostname or "localhost"


def send_message(
    *,
    to: str,
    language: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    message_key: str,
    unsubscribe_url: str | None = None,
) -> None:
    """Render ``publishing/mail/<template>.txt`` and ``.html`` and send them over SMTP.

    ``message_key`` makes the Message-ID: a retried job sends the same one, so a
    duplicate after a crash is recognisable by the receiving side.
    """
    with translation.override(language):
        full_context = {**context, "language": language, "site_url": settings.TIPLINE_SITE_URL}
        text = render_to_string(f"publishing/mail/{template}.txt", full_context)
        html = render_to_string(f"publishing/mail/{template}.html", full_context)
    headers = {
        "Message-ID": f"<{message_key}.publishing@{_domain()}>",
        "Auto-Submitted": "auto-generated",
        "Content-Language": language,
    }
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        headers["List-Id"] = f"<articles.{_domain()}>"
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers=headers,
    )
    message.attach_alternative(html, "text/html")
    message.send(fail_silently=False)
