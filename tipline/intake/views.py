"""The web form channel: the list of forms, the form, and the receipt page after sending.
Every page works without JavaScript."""

from __future__ import annotations

import logging
from types import SimpleNamespace

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tipline.crypto.receipt import format_receipt
from tipline.intake import services as kept_files
from tipline.limits import services as limits
from tipline.local_text import default_language
from tipline.register import keyring, reporter_session, services
from tipline.register.error_summary import summarise
from tipline.register.errors import handles_reporter_errors, raise_if_no_room, shows_upload_refusals, upload_refusal
from tipline.register.exceptions import (
    AttachmentsTooLarge,
    ChannelClosed,
    ReporterError,
    TooManyAttachments,
    TooManySubmissions,
)
from tipline.register.forms import FORM_TOKEN_PATTERN, ReportForm
from tipline.register.models import Channel, ChannelKind, FieldType, QuestionnaireVersion, Report
from tipline.register.reporter_session import reporter_required
from tipline.register.services import IncomingFile
from tipline.register.uploads import incoming_files, upload_limits
from tipline.typed_request import client_tag

log = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    """The list of forms; with only one open, the reporter goes straight to it."""
    channels = [
        SimpleNamespace(slug=channel.slug, **channel.texts_in())  # in the reader's language
        for channel in Channel.objects.filter(is_active=True, kind=ChannelKind.WEB)
        if channel.asks_something()
    ]
    if len(channels) == 1:
        return redirect("intake:submit", channels[0].slug)
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
    """The form. A send refused for an answer keeps its files (cleaned, encrypted) for the
    retry, which lists them, can remove one (``remove_kept``) and attaches the rest."""
    channel = _open_channel(slug)
    questionnaire = channel.current_questionnaire()
    if questionnaire is None or not questionnaire.asks_something:  # a form that asks nothing is not open yet
        raise ChannelClosed
    posted = request.method == "POST"
    file_keys = [q["key"] for q in questionnaire.fields if q["type"] == FieldType.FILE]
    uploads = {key: incoming_files(request, f"f_{key}") for key in file_keys}
    token = _posted_token(request)
    kept = kept_files.list_kept(request=request, form_token=token) if posted else []
    removing = _removal(request)
    if removing is not None:
        kept_files.remove_kept(kept=kept, pk=removing)
        kept = [k for k in kept if k.pk != removing]
    counts = {key: len(files) + sum(1 for k in kept if k.question == key) for key, files in uploads.items()}
    form = ReportForm(
        request.POST if posted else None,
        schema=questionnaire.fields,
        version=questionnaire.number,
        file_counts=counts,
        identity_allowed=_identity_allowed(request),
    )
    if removing is not None:
        # Removing a kept file is not a send: the answers come back as typed, judged by nobody.
        form.errors.clear()
    refusal = upload_refusal(request) or (_over_file_limits(uploads, kept) if posted else None)
    admitted = refusal is None and posted and removing is None and form.is_valid()
    if admitted and limits.admit(submission_policy(), client_tag=client_tag(request)) is None:
        refusal, admitted = TooManySubmissions(), False
    if admitted:
        return _send(request, channel=channel, questionnaire=questionnaire, form=form, uploads=uploads, kept=kept)
    if refusal is not None:  # over a limit: the answers come back, nothing is stored
        form.is_valid()
        form.add_error(None, refusal.user_message())
        status = refusal.status
    else:
        status = 400 if posted and removing is None else 200
    if posted and refusal is None and any(uploads.values()):
        kept = _keep(request, form=form, token=token, uploads=uploads) or kept
    texts = channel.texts_in()  # its name, description and privacy notice in the reader's language
    context = {
        "channel": channel,
        "texts": texts,
        "untranslated": form.untranslated or any(text.is_fallback for text in texts.values()),
        "fallback_language": default_language(),
        "form": form,
        "file_rows": [
            {"question": q, "kept": [k for k in kept if k.question == q["key"]]} for q in form.file_questions
        ],
        "kept": kept,
        "problems": summarise(form) if form.is_bound and removing is None else [],
        **upload_limits(),
    }
    return render(request, "intake/submit.html", context, status=status)


def _send(
    request: HttpRequest,
    *,
    channel: Channel,
    questionnaire: QuestionnaireVersion,
    form: ReportForm,
    uploads: dict[str, list[IncomingFile]],
    kept: list[kept_files.KeptFile],
) -> HttpResponse:
    files = [f for group in uploads.values() for f in group]

    def create(sealed: list[kept_files.KeptFile]) -> services.Submission:
        return services.create_report(
            channel=channel,
            questionnaire=questionnaire,
            answers=form.answers(),
            files=files,
            sealed_files=[k.sealed for k in sealed],
            identity=form.cleaned_data.get("identity", ""),
            form_token=form.cleaned_data.get("form_token", ""),
        )

    try:
        try:
            submission = create(kept)
        except Exception:
            # A copy of this page sent a moment earlier (a double click) took the kept files
            # with it: this copy is stored without them, as the first one has them.
            still = kept_files.list_kept(request=request, form_token=_posted_token(request))
            if not kept or len(still) == len(kept):
                raise
            kept = still
            submission = create(kept)
    except OSError as failure:  # nothing was stored: create_report writes all or nothing
        raise_if_no_room(failure)
        raise
    try:
        kept_files.discard(kept=kept)  # now copies under the report key; the sweep gets any left
    except Exception:  # the report is stored: nothing after the commit may cost the receipt
        log.warning("Could not delete the kept files of a sent form", exc_info=True)
    reporter_session.unlock(request, report=submission.report, report_key=submission.report_key)
    reporter_session.keep_receipt(request, receipt=submission.receipt)
    return redirect("intake:receipt")


def _posted_token(request: HttpRequest) -> str:
    token = str(request.POST.get("form_token", "")) if request.method == "POST" else ""
    return token if FORM_TOKEN_PATTERN.fullmatch(token) else ""


def _removal(request: HttpRequest) -> int | None:
    """The kept file the reporter asked to remove (a button of the retry page), if any."""
    raw = str(request.POST.get("remove_kept", "")) if request.method == "POST" else ""
    return int(raw) if raw.isdigit() and len(raw) < 19 else None


def _over_file_limits(uploads: dict[str, list[IncomingFile]], kept: list[kept_files.KeptFile]) -> ReporterError | None:
    """The limits hold for the kept files and the new ones together."""
    new = [f for group in uploads.values() for f in group]
    if not kept or not new:
        return None
    if len(new) + len(kept) > settings.TIPLINE_MAX_FILES:
        return TooManyAttachments(settings.TIPLINE_MAX_FILES)
    if sum(f.size for f in new) + sum(k.size for k in kept) > settings.TIPLINE_MAX_TOTAL_SIZE:
        return AttachmentsTooLarge(settings.TIPLINE_MAX_TOTAL_SIZE)
    return None


def _keep(
    request: HttpRequest, *, form: ReportForm, token: str, uploads: dict[str, list[IncomingFile]]
) -> list[kept_files.KeptFile]:
    """Keep the files of a refused send for the retry; what is now kept for the page.
    Cleaning costs, so it counts as a send against the client's allowance."""
    if not token or limits.admit(submission_policy(), client_tag=client_tag(request)) is None:
        form.add_error(None, _("Your files could not be kept this time: choose them again before you send."))
        return []
    try:
        kept_files.keep_uploads(request=request, form_token=token, uploads=uploads)
    except OSError as failure:
        raise_if_no_room(failure)
        raise
    return kept_files.list_kept(request=request, form_token=token)


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


@require_http_methods(["GET", "POST"])
@reporter_required
def receipt(request: HttpRequest, report: Report, report_key: bytes) -> HttpResponse:
    """The receipt, shown again on every reload of this session (kept encrypted in the
    session vault) until the reporter says they wrote it down (POST), which forgets it and
    leads on to the report. Held files are decided in the same step (see the portal)."""
    if request.method == "POST":
        reporter_session.forget_receipt(request)
        return redirect("portal:report")
    kept = reporter_session.kept_receipt(request)
    context = {
        "receipt": format_receipt(kept) if kept else None,
        "held": services.describe_held(report=report, report_key=report_key),
        "report": report,
    }
    return render(request, "intake/receipt.html", context)
