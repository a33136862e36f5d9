"""The reporter's portal: log in with the receipt, read replies, answer, add files,
decide on held files. Every page works without JavaScript."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
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
from tipline.downloads import attachment_response
from tipline.limits import services as limits
from tipline.portal import kept_reply
from tipline.portal.forms import HeldFilesForm, ReceiptForm, ReplyForm, TranscriptForm
from tipline.register import reporter_session, services
from tipline.register.error_summary import Problem, summarise
from tipline.register.errors import handles_reporter_errors, shows_upload_refusals, upload_refusal
from tipline.register.exceptions import EmptyMessage, InvalidReceipt, NotInReport, TooManyReplies, TranscriptDecided
from tipline.register.models import Attachment, ChannelKind, Report, Transcript
from tipline.register.reporter_session import forget_receipt, reporter_required, unlock
from tipline.register.uploads import incoming_files, upload_limits
from tipline.typed_request import client_tag


def _back_to_the_report_on_get(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A form's address that only takes a POST, opened again (the language switched on a page
    it answered with, say): back to the report page rather than an empty 405."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method in {"GET", "HEAD"}:
            return redirect("portal:report")
        return view(request, *args, **kwargs)

    return require_http_methods(["GET", "HEAD", "POST"])(wrapped)


@_back_to_the_report_on_get
@handles_reporter_errors
@reporter_required
def decide_held(request: HttpRequest, report: Report, report_key: bytes) -> HttpResponse:
    del report_key
    if request.POST.get("receipt_written"):  # the receipt page's way on: the receipt is not shown again
        forget_receipt(request)
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
    return redirect("portal:report")


@_back_to_the_report_on_get
@handles_reporter_errors
@kept_reply.keeps_correction_on_expiry
@reporter_required
def decide_transcript(request: HttpRequest, report: Report, report_key: bytes, transcript_id: int) -> HttpResponse:
    """The reporter confirms what was written down during their call or meeting, or corrects it.
    An answer that cannot be taken comes back on the page with what was typed, and says why."""
    views = {item.transcript.pk: item for item in services.list_transcripts(report=report, report_key=report_key)}
    item = views.get(transcript_id)
    if item is None:
        raise NotInReport
    if item.transcript.state != Transcript.State.PENDING:
        raise TranscriptDecided
    letter = report.channel.kind == ChannelKind.POST
    form = TranscriptForm(request.POST, original=item.text, letter=letter, auto_id=f"%s-{transcript_id}")
    if not form.is_valid():
        typed = {
            transcript_id: TranscriptAnswer(
                text=str(request.POST.get("correction", "")),
                decision=str(request.POST.get("decision", "")),
                problems=summarise(form),
                errors={name: [str(message) for message in messages] for name, messages in form.errors.items()},
            )
        }
        context = _portal_context(request, report=report, report_key=report_key, form=ReplyForm(), transcripts=typed)
        context["refused"] = True  # the page's title says so, as for any refused form
        return render(request, "portal/portal.html", context, status=400)
    correction = form.cleaned_data["correction"] if form.cleaned_data["decision"] == "correct" else ""
    services.decide_transcript(report=report, report_key=report_key, transcript_id=transcript_id, correction=correction)
    flash.success(
        request,
        _("Thank you: your correction is kept beside the first text.")
        if correction
        else _("Thank you for confirming."),
    )
    return redirect("portal:report")


@_back_to_the_report_on_get
@handles_reporter_errors
@reporter_required
def request_meeting(request: HttpRequest, report: Report, report_key: bytes) -> HttpResponse:
    """The reporter asks to meet in person (art. 9(2)); the handler proposes a time and place."""
    if services.request_meeting(report=report, report_key=report_key):
        flash.success(request, _("Your request to meet was sent. The handler will propose a time and a place here."))
    else:
        flash.info(request, _("You already asked to meet. The handler will propose a time and a place here."))
    return redirect("portal:report")


@require_http_methods(["GET", "POST"])
@handles_reporter_errors
def login(request: HttpRequest) -> HttpResponse:
    form = ReceiptForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            report, report_key = services.open_with_receipt(
                receipt_text=form.cleaned_data["receipt"],
                client_tag=client_tag(request),
            )
        except InvalidReceipt as error:
            form.add_error("receipt", error.user_message())
            return render(request, "portal/login.html", _login_context(form), status=error.status)
        kept = kept_reply.take_kept(request=request, report=report, report_key=report_key)
        unlock(request, report=report, report_key=report_key)
        kept_reply.offer_draft(request=request, kept=kept)
        return redirect("portal:report")
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/login.html", _login_context(form), status=status)


def _login_context(form: ReceiptForm) -> dict[str, object]:
    return {"form": form, "problems": summarise(form) if form.is_bound else []}


def reply_policy() -> limits.Policy:
    """A reporter's messages and files in the portal."""
    return limits.Policy(
        scope="portal-replies",
        per_client=settings.TIPLINE_REPLIES_PER_CLIENT,
        overflow=settings.TIPLINE_REPLIES_OVERFLOW,
        window=settings.TIPLINE_LIMITS_WINDOW_SECONDS,
    )


@shows_upload_refusals
@require_http_methods(["GET", "POST"])
@handles_reporter_errors
@kept_reply.keeps_reply_on_expiry
@reporter_required
def portal(request: HttpRequest, report: Report, report_key: bytes) -> HttpResponse:
    kept = kept_reply.take_draft(request) if request.method == "GET" else None
    draft = kept.text if kept is not None and kept.place == kept_reply.REPLY else ""
    corrections = {kept.place: kept.text} if kept is not None and kept.place != kept_reply.REPLY else {}
    form = ReplyForm(request.POST if request.method == "POST" else None, initial={"body": draft})
    refusal = upload_refusal(request)
    grant = None
    if refusal is None and request.method == "POST" and form.is_valid():
        grant = limits.admit(reply_policy(), client_tag=client_tag(request))
        refusal = None if grant is not None else TooManyReplies()
    if refusal is not None:  # over a limit: the message comes back, nothing is sent
        form.is_valid()
        form.add_error(None, refusal.user_message())
    elif grant is not None:
        try:
            services.post_message(
                report=report,
                report_key=report_key,
                body=form.cleaned_data["body"],
                files=incoming_files(request, "files"),
            )
        except EmptyMessage:
            form.add_error("body", _("Write a message or add a file."))
            limits.give_back(grant)
        else:
            flash.success(request, _("Your message was sent."))
            return redirect("portal:report")
    kept_corrections = {place: TranscriptAnswer(text=text, restored=True) for place, text in corrections.items()}
    context = _portal_context(request, report=report, report_key=report_key, form=form, transcripts=kept_corrections)
    context["draft_restored"] = bool(draft)
    status = refusal.status if refusal is not None else 400 if form.errors else 200
    return render(request, "portal/portal.html", context, status=status)


@dataclass(frozen=True)
class TranscriptAnswer:
    """What the reporter typed for one transcript: kept across a log-out, or refused."""

    text: str
    restored: bool = False
    decision: str = ""
    problems: list[Problem] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)  # by field, shown beside it


def _portal_context(
    request: HttpRequest,
    *,
    report: Report,
    report_key: bytes,
    form: ReplyForm,
    transcripts: dict[int, TranscriptAnswer],
) -> dict[str, object]:
    """The report page: what the reporter sent, the conversation (now read), and the forms."""
    conversation = services.list_messages(report=report, report_key=report_key)
    services.mark_read_by_reporter(report=report)
    return {
        "report": report,
        "answers": services.read_answers(report=report, report_key=report_key),
        "attachments": services.report_attachments(report=report, report_key=report_key),
        "held": services.describe_held(report=report, report_key=report_key),
        "conversation": conversation,
        "disclosures": services.list_disclosures(report=report, report_key=report_key, approved_only=True),
        "transcripts": [
            (item, transcripts.get(item.transcript.pk))
            for item in services.list_transcripts(report=report, report_key=report_key)
        ],
        "form": form,
        "problems": summarise(form) if form.is_bound else [],
        "draft_restored": False,
        "receipt_kept": reporter_session.kept_receipt(request) is not None,
        "idle_minutes": settings.TIPLINE_REPORTER_IDLE_SECONDS // 60,
        **upload_limits(),
    }


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
    return HttpResponseRedirect(reverse("portal:login"))


@require_POST
def leave(request: HttpRequest) -> HttpResponse:
    """Leave quickly: log out (or drop whatever this browser's session held) and open an
    unrelated page (``TIPLINE_QUICK_EXIT_URL``)."""
    session_vault.close_vault(request)
    # A page that moves on by itself (meta refresh, no JavaScript): the strict policy
    # ("form-action 'self'") would stop a form's redirect to another site.
    response = render(request, "portal/leave.html", {"url": settings.TIPLINE_QUICK_EXIT_URL})
    response["Referrer-Policy"] = "no-referrer"
    return response
