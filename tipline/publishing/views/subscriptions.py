"""Subscribing, confirming and unsubscribing. These pages are never cached."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from tipline.publishing import pages, services
from tipline.publishing.errors import handles_publishing_errors, in_address_language
from tipline.publishing.forms import SubscribeForm
from tipline.publishing.templatetags.publishing import public_url


def _context(request: HttpRequest, language: str, **extra: Any) -> dict[str, Any]:
    # The shared public layout; these pages are personal, so their address is not canonical.
    return pages.page_context(request, language=language, **extra)


@require_http_methods(["GET", "POST"])
@in_address_language
@handles_publishing_errors
def subscribe(request: HttpRequest, language: str) -> HttpResponse:
    form = SubscribeForm(request.POST if request.method == "POST" else None, language=language)
    if request.method == "POST" and form.is_valid():
        services.request_subscription(
            email=form.cleaned_data["email"],
            language=language,
            frequency=form.cleaned_data["frequency"],
            categories=list(form.cleaned_data["categories"]),
            client_tag=getattr(request, "client_tag", ""),
        )
        return redirect(public_url("publishing:subscribe_sent", language=language))
    status = 400 if form.errors else 200
    context = _context(request, language, form=form, confirm_hours=settings.TIPLINE_SUBSCRIPTION_CONFIRM_HOURS)
    return render(request, "publishing/subscribe.html", context, status=status)


@require_safe
@in_address_language
def subscribe_sent(request: HttpRequest, language: str) -> HttpResponse:
    return render(request, "publishing/subscribe_sent.html", _context(request, language))


@require_http_methods(["GET", "POST"])
@in_address_language
@handles_publishing_errors
def confirm(request: HttpRequest, language: str, token: str) -> HttpResponse:
    """GET shows a button, POST confirms: a mail scanner that follows links confirms nothing."""
    if request.method == "POST":
        subscription = services.confirm_subscription(token=token)
        return render(request, "publishing/confirmed.html", _context(request, language, subscription=subscription))
    pending = services.find_request(token=token)
    return render(request, "publishing/confirm.html", _context(request, language, pending=pending))


@csrf_exempt  # RFC 8058: mail clients POST here with no page in between; the token is the proof
@require_http_methods(["GET", "POST"])
@in_address_language
@handles_publishing_errors
def unsubscribe(request: HttpRequest, language: str, token: str) -> HttpResponse:
    """GET shows one button; POST (the button, or a mail client's one-click) unsubscribes."""
    if request.method == "POST":
        services.unsubscribe(token=token)
        return render(request, "publishing/unsubscribed.html", _context(request, language))
    services.find_subscription(token=token)
    return render(request, "publishing/unsubscribe.html", _context(request, language))
