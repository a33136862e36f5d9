"""The web form channel: the list of forms, the form, and the receipt page after sending.
Every page works without JavaScript."""

from __future__ import annotations

from types import SimpleNamespace

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from tipline import session_vault
from tipline.crypto.receipt import format_receipt
from tipline.limits import services as limits
from tipline.local_text import default_language
from tipline.register import keyring, reporter_session, services
from tipline.register.errors import handles_reporter_errors, raise_if_no_room, shows_upload_refusals, upload_refusal
from tipline.register.exceptions import ChannelClosed, TooManySubmissions
from tipline.register.forms import ReportForm
from tipline.register.models import Channel, ChannelKind, FieldType, Report
from tipline.register.reporter_session import reporter_required
from tipline.register.uploads import incoming_files, upload_limits
from tipline.typed_request import client_tag

_RECEIPT_SECRET = "receipt"


def home(request: HttpRequest) -> HttpResponse:
    channels = [
        SimpleNamespace(slug=channel.slug, **channel.texts_in())  # in the reader's language
        for channel in Channel.objects.filter(is_active=True, kind=ChannelKind.WEB)
    ]
    return render(request, "intake/home.html", {"channels": channels})


def _open_channel(slug: str) -> Channel:
    channel = Channel.objects.filter(slug=slug, is_active=True, kind=ChannelKind.WEB).first()
    if channel is None:
        raise ChannelClosed
    return channel


@shows_upload_refusals
@require_http_methods(["GET", "POST"])
@handles_reporter_errors
def submit(request: HttpRequest, slug: str) -> HttpResponse:
    channel = _open_channel(slug)
    questionnaire = channel.current_questionnaire()
    if questionnaire is None:
        raise ChannelClosed
    file_keys = [q["key"] for q in questionnaire.fields if q["type"] == FieldType.FILE]
    uploads = {key: incoming_files(request, f"f_{key}") for key in file_keys}
    form = ReportForm(
        request.POST if request.method == "POST" else None,
        schema=questionnaire.fields,
        version=questionnaire.number,
        file_counts={key: len(files) for key, files in uploads.items()},
        identity_allowed=_identity_allowed(request),
    )
    refusal = upload_refusal(request)
    admitted = refusal is None and request.method == "POST" and form.is_valid()
    if admitted and limits.admit(submission_policy(), client_tag=client_tag(request)) is None:
        refusal, admitted = TooManySubmissions(), False
    if admitted:
        files = [f for group in uploads.values() for f in group]
        try:
            submission = services.create_report(
                channel=channel,
                questionnaire=questionnaire,
                answers=form.answers(),
                files=files,
                identity=form.cleaned_data.get("identity", ""),
                form_token=form.cleaned_data.get("form_token", ""),
            )
        except OSError as failure:  # nothing was stored: create_report writes all or nothing
            raise_if_no_room(failure)
            raise
        reporter_session.unlock(request, report=submission.report, report_key=submission.report_key)
        session_vault.put_secret(request, _RECEIPT_SECRET, submission.receipt.encode())
        return redirect("intake:receipt")
    if refusal is not None:  # over a limit: the answers come back, nothing is stored
        form.is_valid()
        form.add_error(None, refusal.user_message())
        status = refusal.status
    else:
        status = 400 if request.method == "POST" else 200
    texts = channel.texts_in()  # its name, description and privacy notice in the reader's language
    context = {
        "channel": channel,
        "texts": texts,
        "untranslated": form.untranslated or any(text.is_fallback for text in texts.values()),
        "fallback_language": default_language(),
        "form": form,
        "file_questions": form.file_questions,
        **upload_limits(),
    }
    return render(request, "intake/submit.html", context, status=status)


def submission_policy() -> limits.Policy:
    """Reports sent through the web form (each costs a derivation and the cleaning of its files)."""
    return limits.Policy(
        scope="web-submissions",
        per_client=settings.TIPLINE_SUBMISSIONS_PER_CLIENT,
        overflow=settings.TIPLINE_SUBMISSIONS_OVERFLOW,
        window=settings.TIPLINE_LIMITS_WINDOW_SECONDS,
    )


def _identity_allowed(request: HttpRequest) -> bool:
    """Whether the form may take an identity; a POST without one need not ask the database."""
    if request.method == "POST" and not str(request.POST.get("identity", "")).strip():
        return True
    return keyring.identity_can_be_received()


@reporter_required
def receipt(request: HttpRequest, report: Report, report_key: bytes) -> HttpResponse:
    """Show the receipt once; a reload shows that it was already shown. Held files are
    decided in one form whose button leads on to the report, so no choice on this page
    comes back to it after the receipt is gone."""
    secret = session_vault.pop_secret(request, _RECEIPT_SECRET)
    held = services.describe_held(report=report, report_key=report_key)
    context = {
        "receipt": format_receipt(secret.decode()) if secret else None,
        "held": held,
        "report": report,
    }
    return render(request, "intake/receipt.html", context)
