"""The call-taker's screen: a report taken during a call, from a letter or in a meeting,
its receipt read back once, and a caller's message added to their report by receipt.

The call-taker never reads a report: the new report's key is sealed to the channel's
recipients and the supervisors as for any report, and adding a message by receipt shows
nothing of what the report holds. Keyboard first: one column, fields in speaking order,
the first field focused, every action a button. Works without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.conf import settings
from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tipline.accounts.decorators import staff_required
from tipline.accounts.models import Role, StaffUser
from tipline.audit import services as audit
from tipline.calls import claims
from tipline.calls.forms import SPOKEN_KINDS, AddToReportForm, TakenReportForm
from tipline.crypto.receipt import format_receipt
from tipline.local_text import LocalText, site_language
from tipline.register import cleaning, keyring, outgoing_mail
from tipline.register import services as register
from tipline.register.error_summary import summarise
from tipline.register.errors import raise_if_no_room, shows_upload_refusals, upload_refusal
from tipline.register.exceptions import EmptyMessage, InvalidReceipt, ReporterError, TooManyReceiptAttempts
from tipline.register.models import STAFF_ENTERED_KINDS, Channel, ChannelKind, FieldType, QuestionnaireVersion, Report
from tipline.register.uploads import incoming_files, upload_limits


def _call_taker(request: HttpRequest) -> StaffUser:
    user = request.user
    if not isinstance(user, StaffUser) or Role.CALL_TAKER not in user.roles:
        raise PermissionDenied(_("Only call-takers use this screen."))
    return user


def _channels() -> list[Channel]:
    return list(Channel.objects.filter(is_active=True, kind__in=STAFF_ENTERED_KINDS))


def _named_channels() -> list[tuple[Channel, LocalText]]:
    """The channels to choose from, each named in the call-taker's language (or the default
    language's name, marked as such)."""
    return [(channel, channel.text_in("name")) for channel in _channels()]


@require_GET
@staff_required
def home(request: HttpRequest, private_key: bytes | None) -> HttpResponse:
    _call_taker(request)
    return render(request, "calls/home.html", _home_context(request, AddToReportForm()))


def _home_context(request: HttpRequest, form: AddToReportForm, *, files_sent: bool = False) -> dict[str, object]:
    return {
        "receipt_waiting": claims.receipt_waiting(request),
        "channels": _named_channels(),
        "add_form": form,
        "problems": summarise(form) if form.is_bound else [],
        "recording_types": cleaning.recording_extensions(),
        "files_sent": files_sent,
    }


@shows_upload_refusals
@require_http_methods(["GET", "POST"])
@staff_required
def take(request: HttpRequest, private_key: bytes | None, slug: str) -> HttpResponse:
    user = _call_taker(request)
    channel = next((c for c in _channels() if c.slug == slug), None)
    if channel is None and request.method == "POST":  # closed while the call was being taken down
        return render(request, "calls/closed.html", _closed_while_typing(request), status=409)
    if channel is None:
        raise Http404(_("There is no open phone, post or meeting channel at this address."))
    questionnaire = channel.current_questionnaire()
    if questionnaire is None:
        message = _("This channel has no questionnaire yet: an administrator publishes one in the admin.")
        return render(request, "calls/closed.html", {"channel": channel, "message": message}, status=409)
    # A call or meeting may be recorded (only on the reporter's yes); a letter's scan and the
    # papers handed over in a meeting are documents, kept without that question.
    recording = incoming_files(request, "recording") if channel.kind in SPOKEN_KINDS else []
    documents = incoming_files(request, "files") if channel.kind != ChannelKind.PHONE else []
    # Another language chosen while typing: the page comes back in it with what was typed.
    switching = request.method == "POST" and "switch_language" in request.POST
    language = _call_language(request)
    form = TakenReportForm(
        request.POST if request.method == "POST" and not switching else None,
        schema=[q for q in questionnaire.fields if q["type"] != FieldType.FILE],
        version=questionnaire.number,
        identity_allowed=keyring.identity_can_be_received(),
        kind=channel.kind,
        has_recording=bool(recording),
        # sound or video among a meeting's papers: a recording of it (on a yes) or evidence
        media_in_papers=channel.kind in SPOKEN_KINDS and _any_recording(documents),
        language=language,
    )
    if switching:
        form.initial.update(_typed(form, request))
    refusal = None if switching else upload_refusal(request)  # files are chosen again after a switch
    if request.method == "POST" and not switching and refusal is None and form.is_valid():
        try:
            # One report at a time: a receipt waiting, or another report being stored from
            # this session (a second click, another tab), refuses this one, unstored.
            with claims.one_report(request, form.cleaned_data.get("form_token", "")) as claim:
                _stored(
                    channel=channel,
                    questionnaire=questionnaire,
                    form=form,
                    files=[*recording, *documents],
                    taken_by=user,
                    # a letter's receipt is posted, not read out; the notes: see _notes_taken
                    keep_receipt=lambda receipt: claim.keep(receipt, kind=channel.kind, notes=_notes_taken(form)),
                )
        except claims.AlreadyStored:  # this page sent again (a second click): its report's receipt
            return redirect("calls:receipt")
        except ReporterError as error:  # no room for files just now, nobody to receive an identity…
            refusal = error  # nothing was stored: the page comes back with what was typed, and why
        else:
            return redirect("calls:receipt")
    receipt_waiting = claims.receipt_waiting(request)
    if refusal is not None:
        form.is_valid()
        form.add_error(None, refusal.user_message())
    status = refusal.status if refusal else (400 if request.method == "POST" and not switching else 200)
    context = {
        "channel": channel,
        "texts": channel.texts_in(language),
        "form": form,
        "problems": summarise(form) if form.is_bound else [],
        "files_sent": bool(request.FILES),
        "call_language": language,
        "receipt_waiting": receipt_waiting,
        "recording_types": cleaning.recording_extensions(),
        **upload_limits(),
    }
    return render(request, "calls/take.html", context, status=status)


def _any_recording(files: list[register.IncomingFile]) -> bool:
    return any(cleaning.is_recording(file.path, file.name) for file in files)


def _stored(
    *,
    channel: Channel,
    questionnaire: QuestionnaireVersion,
    form: TakenReportForm,
    files: list[register.IncomingFile],
    taken_by: StaffUser,
    keep_receipt: Callable[[str], None],
) -> register.Submission:
    """The report as the call-taker took it down (all or nothing); a refusal as a ReporterError."""
    try:
        return register.create_report(
            channel=channel,
            questionnaire=questionnaire,
            answers=form.answers(),
            files=files,
            identity=form.identity_text(),
            form_token=form.cleaned_data.get("form_token", ""),
            recording_consent=form.consent(),
            transcript=form.cleaned_data.get("transcript", ""),
            transcript_read_back=form.read_back_confirmed(),
            hold_uncleaned=False,  # the caller is not at the portal to decide about such a file
            taken_by=taken_by,
            keep_receipt=keep_receipt,
        )
    except OSError as failure:  # nothing was stored: create_report writes all or nothing
        raise_if_no_room(failure)
        raise


def _closed_while_typing(request: HttpRequest) -> dict[str, object]:
    """What the call-taker had typed for a channel closed meanwhile, to copy elsewhere."""
    typed = [
        str(value).strip()
        for name in request.POST
        if name.startswith("q_") or name in {"transcript", "identity", "callback"}
        for value in request.POST.getlist(name)
        if str(value).strip()
    ]
    return {
        "channel": None,
        "message": _(
            "This channel was closed while you were typing, so nothing was stored. What you typed is below: copy "
            "it, and take the report on another channel."
        ),
        "typed": typed,
    }


def _notes_taken(form: TakenReportForm) -> str:
    """Whether a transcript, minutes or notes were stored: "" (none), "pending" (for the
    reporter to confirm in the portal) or "read_back" (confirmed during the call)."""
    if not str(form.cleaned_data.get("transcript") or "").strip():
        return ""
    return "read_back" if form.read_back_confirmed() else "pending"


def _added(
    *,
    report: Report,
    report_key: bytes,
    form: AddToReportForm,
    files: list[register.IncomingFile],
    taken_by: StaffUser,
    on_stored: Callable[[], None],
) -> None:
    try:
        register.post_message(
            report=report,
            report_key=report_key,
            body=form.cleaned_data["body"],
            files=files,
            taken_by=taken_by,
            recording_consent=form.consent(),
            on_stored=on_stored,
        )
    except OSError as failure:  # nothing was added: the message and its files go together
        raise_if_no_room(failure)
        raise


def _field_of(error: ReporterError) -> str | None:
    """The field a refusal is about: the receipt, the words, or the whole form."""
    if isinstance(error, (InvalidReceipt, TooManyReceiptAttempts)):
        return "receipt"
    return "body" if isinstance(error, EmptyMessage) else None


def _call_taker_message(error: ReporterError) -> str:
    """A refusal as the call-taker needs it (the reporter's own wording speaks to the reporter)."""
    if isinstance(error, InvalidReceipt):
        return _(
            "That receipt did not open a report. Ask the caller to read the 16 digits again, slowly, and type "
            "them once more; if they have lost the receipt, take a new report."
        )
    if isinstance(error, TooManyReceiptAttempts):
        return _(
            "You have entered too many receipts that opened no report in the last hour, so no more are tried "
            "for you just now. Ask a colleague to take the call, or take a new report."
        )
    return error.user_message()


def _typed(form: TakenReportForm, request: HttpRequest) -> dict[str, object]:
    """What the call-taker had typed, as the starting values of the form's fields."""
    return {
        name: request.POST.getlist(name) if isinstance(field, forms.MultipleChoiceField) else request.POST.get(name)
        for name, field in form.fields.items()
        if name in request.POST
    }


def _call_language(request: HttpRequest) -> str:
    """The language of the call when the call-taker chose one (the questions are then read
    out in it), else the call-taker's own. An unknown choice is the call-taker's own."""
    chosen = str(
        request.POST.get("switch_language")
        or request.POST.get("call_language")
        or request.GET.get("call_language")
        or ""
    )
    codes = {code for code, _name in settings.LANGUAGES}
    return chosen if chosen in codes else site_language(None)


@require_GET
@staff_required
def receipt(request: HttpRequest, private_key: bytes | None) -> HttpResponse:
    """The receipt, once: read it out to the caller in groups of four digits (given in a
    meeting, posted for a letter), with what the reporter can do with it."""
    _call_taker(request)
    waiting = claims.take_receipt(request)
    kind = waiting.kind if waiting else ""
    context = {
        "groups": format_receipt(waiting.receipt).split() if waiting else [],
        "kind": kind,
        "letter": kind == ChannelKind.POST,
        "notes": waiting.notes if waiting else "",
        "portal": outgoing_mail.portal_address(),
    }
    return render(request, "calls/receipt.html", context)


@shows_upload_refusals
@require_http_methods(["GET", "POST"])
@staff_required
def add(request: HttpRequest, private_key: bytes | None) -> HttpResponse:
    """A caller who calls again gives the receipt: their words are added to the report as
    their message, and the call-taker sees nothing of the report. (Its address opened
    again, after a refusal, leads back to the screen.)"""
    user = _call_taker(request)
    if request.method == "GET":
        return redirect("calls:home")
    recording = incoming_files(request, "recording")
    papers = incoming_files(request, "files")
    files = [*recording, *papers]
    form = AddToReportForm(request.POST, has_recording=bool(recording), media_in_papers=_any_recording(papers))
    refusal = upload_refusal(request)
    status = 400
    if refusal is not None:
        form.is_valid()
        form.add_error(None, refusal.user_message())
        status = refusal.status
    elif form.is_valid():
        try:
            with claims.one_message(form.cleaned_data["form_token"]) as mark_added:  # a page adds its message once
                report, report_key = register.open_with_receipt(
                    receipt_text=form.cleaned_data["receipt"],
                    # The call-taker's own allowance (the callers are not at this address), which
                    # only receipts that open nothing use up; each of those is in the audit trail.
                    client_tag=f"call-taker-{user.pk}",
                    policy=register.call_receipt_policy(),
                    failures_only=True,
                )
                _added(
                    report=report, report_key=report_key, form=form, files=files, taken_by=user, on_stored=mark_added
                )
        except ReporterError as error:
            if isinstance(error, InvalidReceipt):
                audit.record(action="receipt.failed_by_phone", actor=user)
            form.add_error(_field_of(error), _call_taker_message(error))
            status = error.status
        else:
            flash.success(request, _("The caller's message was added to their report."))
            return redirect("calls:home")
    context = _home_context(request, form, files_sent=bool(request.FILES))
    return render(request, "calls/home.html", context, status=status)
