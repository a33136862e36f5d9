"""Reporter-side views. Every one works without JavaScript."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from tipline import session_vault
from tipline.cases import disclosure
from tipline.cases import services as cases
from tipline.cases.exceptions import EmptyMessage
from tipline.crypto.receipt import format_receipt
from tipline.downloads import attachment_response
from tipline.intake import cleaning, services
from tipline.intake.errors import error_response, handles_intake_errors, raise_if_no_room
from tipline.intake.exceptions import ChannelClosed, InvalidReceipt, ReportDestroyed, SessionExpired
from tipline.intake.forms import HeldFilesForm, ReceiptForm, ReplyForm, ReportForm
from tipline.intake.middleware import shows_upload_refusals, upload_refusal
from tipline.intake.models import Attachment, Channel, ChannelKind, FieldType, Report
from tipline.intake.uploads import incoming_files

_REPORT_SECRET = "report"
_RECEIPT_SECRET = "receipt"
_SEEN = "reporter_seen"


def _limits() -> dict[str, Any]:
    return {
        "max_file_size": settings.TIPLINE_MAX_FILE_SIZE,
        "max_files": settings.TIPLINE_MAX_FILES,
        "max_total_size": settings.TIPLINE_MAX_TOTAL_SIZE,
        "cleaned_types": sorted(cleaning.supported_extensions()),
    }


def home(request: HttpRequest) -> HttpResponse:
    channels = Channel.objects.filter(is_active=True, kind=ChannelKind.WEB)
    return render(request, "intake/home.html", {"channels": channels})


def _open_channel(slug: str) -> Channel:
    channel = Channel.objects.filter(slug=slug, is_active=True, kind=ChannelKind.WEB).first()
    if channel is None:
        raise ChannelClosed
    return channel


@shows_upload_refusals
@require_http_methods(["GET", "POST"])
@handles_intake_errors
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
    if refusal is not None:  # a file over a limit: the answers come back, nothing is stored
        form.is_valid()
        form.add_error(None, refusal.user_message())
        status = refusal.status
    elif request.method == "POST" and form.is_valid():
        files = [f for group in uploads.values() for f in group]
        try:
            submission = services.submit_report(
                channel=channel,
                questionnaire=questionnaire,
                answers=form.answers(),
                files=files,
                identity=form.cleaned_data.get("identity", ""),
                form_token=form.cleaned_data.get("form_token", ""),
            )
        except OSError as failure:  # nothing was stored: submit_report writes all or nothing
            raise_if_no_room(failure)
            raise
        _unlock(request, submission.report, submission.report_key)
        session_vault.put_secret(request, _RECEIPT_SECRET, submission.receipt.encode())
        return redirect("intake:receipt")
    else:
        status = 400 if request.method == "POST" else 200
    context = {"channel": channel, "form": form, "file_questions": form.file_questions, **_limits()}
    return render(request, "intake/submit.html", context, status=status)


def _identity_allowed(request: HttpRequest) -> bool:
    """Whether the form may take an identity; a POST without one need not ask the database."""
    if request.method == "POST" and not str(request.POST.get("identity", "")).strip():
        return True
    return services.identity_can_be_received()


def _unlock(request: HttpRequest, report: Report, report_key: bytes) -> None:
    session_vault.open_vault(request)
    session_vault.put_secret(request, _REPORT_SECRET, report.pk.to_bytes(8, "big") + report_key)
    request.session[_SEEN] = time.time()


def _unlocked(request: HttpRequest) -> tuple[Report, bytes]:
    secret = session_vault.get_secret(request, _REPORT_SECRET)
    seen = request.session.get(_SEEN, 0)
    if secret is None or time.time() - seen > settings.TIPLINE_REPORTER_IDLE_SECONDS:
        session_vault.close_vault(request)
        raise SessionExpired
    report = Report.objects.filter(pk=int.from_bytes(secret[:8], "big")).select_related("channel").first()
    if report is None:
        session_vault.close_vault(request)
        raise SessionExpired
    if report.is_purged:  # destroyed under retention while the reporter was logged in
        session_vault.close_vault(request)
        raise ReportDestroyed
    request.session[_SEEN] = time.time()
    return report, secret[8:]


def reporter_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Give the view the unlocked report; send an expired session back to the log-in page."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            report, report_key = _unlocked(request)
        except SessionExpired as error:
            flash.info(request, error.user_message())
            response: HttpResponse = redirect("intake:login")
            return response
        except ReportDestroyed as error:
            return error_response(request, error)
        return view(request, report, report_key, *args, **kwargs)

    return wrapper


@reporter_required
def receipt(request: HttpRequest, report: Report, report_key: bytes) -> HttpResponse:
    """Show the receipt once; a reload shows that it was already shown. Held files are
    decided in one form whose button leads on to the report, so no choice on this page
    comes back to it after the receipt is gone."""
    secret = session_vault.pop_secret(request, _RECEIPT_SECRET)
    held = _held_files(report, report_key)
    context = {
        "receipt": format_receipt(secret.decode()) if secret else None,
        "held": held,
        "report": report,
    }
    return render(request, "intake/receipt.html", context)


def _held_files(report: Report, report_key: bytes) -> list[services.AttachmentInfo]:
    rows = report.attachments.filter(state=Attachment.State.HELD)
    return [services.describe_attachment(attachment=a, report_key=report_key) for a in rows]


@require_POST
@handles_intake_errors
@reporter_required
def decide_held(request: HttpRequest, report: Report, report_key: bytes) -> HttpResponse:
    del report_key
    held_ids = report.attachments.filter(state=Attachment.State.HELD).values_list("pk", flat=True)
    form = HeldFilesForm(request.POST, held_ids=held_ids)
    chosen = form.decisions() if form.is_valid() else {"send": [], "drop": []}
    if sent := services.release_held(report=report, attachment_ids=chosen["send"]):
        flash.success(
            request,
            ngettext("%(count)d file was sent as it is.", "%(count)d files were sent as they are.", sent)
            % {"count": sent},
        )
    if dropped := services.drop_held(report=report, attachment_ids=chosen["drop"]):
        flash.success(
            request,
            ngettext(
                "%(count)d file was deleted and will not be sent.",
                "%(count)d files were deleted and will not be sent.",
                dropped,
            )
            % {"count": dropped},
        )
    if not sent and not dropped:
        flash.info(request, _("No file was changed: it may have been decided on already."))
    return redirect("intake:portal")


@require_http_methods(["GET", "POST"])
@handles_intake_errors
def login(request: HttpRequest) -> HttpResponse:
    form = ReceiptForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            report, report_key = services.open_with_receipt(
                receipt_text=form.cleaned_data["receipt"],
                client_tag=request.client_tag,  # type: ignore[attr-defined]
            )
        except InvalidReceipt as error:
            form.add_error("receipt", error.user_message())
            return render(request, "intake/login.html", {"form": form}, status=error.status)
        _unlock(request, report, report_key)
        return redirect("intake:portal")
    status = 400 if request.method == "POST" else 200
    return render(request, "intake/login.html", {"form": form}, status=status)


@shows_upload_refusals
@require_http_methods(["GET", "POST"])
@handles_intake_errors
@reporter_required
def portal(request: HttpRequest, report: Report, report_key: bytes) -> HttpResponse:
    form = ReplyForm(request.POST if request.method == "POST" else None)
    refusal = upload_refusal(request)
    if refusal is not None:  # a file over a limit: the message comes back, nothing is sent
        form.is_valid()
        form.add_error(None, refusal.user_message())
    elif request.method == "POST" and form.is_valid():
        try:
            cases.post_message(
                report=report,
                report_key=report_key,
                body=form.cleaned_data["body"],
                files=incoming_files(request, "files"),
            )
        except EmptyMessage:
            form.add_error("body", _("Write a message or add a file."))
        else:
            flash.success(request, _("Your message was sent."))
            return redirect("intake:portal")
    conversation = cases.list_messages(report=report, report_key=report_key)
    cases.mark_read_by_reporter(report=report)
    context = {
        "report": report,
        "answers": services.read_answers(report=report, report_key=report_key),
        "attachments": cases.report_attachments(report=report, report_key=report_key),
        "held": _held_files(report, report_key),
        "conversation": conversation,
        "disclosures": disclosure.disclosures(report=report, report_key=report_key, approved_only=True),
        "form": form,
        "idle_minutes": settings.TIPLINE_REPORTER_IDLE_SECONDS // 60,
        **_limits(),
    }
    status = refusal.status if refusal is not None else 400 if form.errors else 200
    return render(request, "intake/portal.html", context, status=status)


@reporter_required
def download(request: HttpRequest, report: Report, report_key: bytes, attachment_id: int) -> HttpResponseBase:
    """A reporter downloads a file that staff sent them."""
    attachment = get_object_or_404(Attachment, pk=attachment_id, report=report, from_staff=True)
    info = services.describe_attachment(attachment=attachment, report_key=report_key)
    chunks = services.stream_attachment(attachment=attachment, report_key=report_key)
    return attachment_response(name=info.name, size=info.size, chunks=chunks)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    session_vault.close_vault(request)
    flash.info(request, _("You are logged out. Keep your receipt safe to come back."))
    return HttpResponseRedirect(reverse("intake:login"))
