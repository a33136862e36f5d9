"""The handler console. Thin views: check the form, call one service, redirect."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tipline.accounts.decorators import staff_required
from tipline.accounts.models import StaffUser
from tipline.cases import selectors, services
from tipline.cases.exceptions import CaseError, KeyLocked, NotAllowed
from tipline.cases.forms import (
    AlertPreferenceForm,
    AssignForm,
    CloseForm,
    DecisionForm,
    DiscardForm,
    DisclosureRequestForm,
    ExcludeForm,
    HoldForm,
    LabelsForm,
    LinkForm,
    NoteForm,
    QueueFilterForm,
    RestoreAccessForm,
)
from tipline.cases.models import ExclusionRequest
from tipline.cases.permissions import Action, allowed, require
from tipline.cases.services import alerts
from tipline.downloads import attachment_response
from tipline.refusals import renders_refusals
from tipline.register import services as register
from tipline.register.exceptions import EmptyMessage, ReportDestroyed
from tipline.register.models import Attachment, DisclosureRequest, Report
from tipline.register.uploads import incoming_files

# About one screen of the dense queue (1280 by 800). Each row's subject is decrypted with
# the viewer's key (a public-key unsealing and an audit check): a page decrypts what a
# person can see at once, not twice that.
PAGE_SIZE = 25


class StaffReplyForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Message to the reporter"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    by_email = forms.BooleanField(
        label=gettext_lazy("Also send the text by e-mail to the sender (files stay in the portal)"),
        required=False,
    )
    answers_meeting = forms.BooleanField(
        label=gettext_lazy("This message proposes a time and a place for the meeting the reporter asked for"),
        help_text=gettext_lazy("The request is then answered. Any other message leaves it open."),
        required=False,
    )


def _staff(request: HttpRequest) -> StaffUser:
    assert isinstance(request.user, StaffUser)  # noqa: S101 - staff_required ran
    return request.user


handles_case_errors = renders_refusals(CaseError, "cases/no_access.html")


def _key(private_key: bytes | None) -> bytes:
    if private_key is None:
        raise KeyLocked
    return private_key


@staff_required
@handles_case_errors
def queue(request: HttpRequest, private_key: bytes | None) -> HttpResponse:
    user = _staff(request)
    require(user, Action.VIEW_QUEUE)
    visible, visible_few = selectors.visible_both(user)
    form = QueueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    matching = selectors.filter_queue(visible, filters, user=user)
    page = selectors.page_of(selectors.page_rows(matching), request.GET.get("page"), PAGE_SIZE)
    marks = selectors.mark_rows(page.items, user=user)
    subjects = services.queue_subjects(reports=page.items, user=user, private_key=private_key)
    names = selectors.row_names(page.items, channels=form.channel_names, staff=form.handler_names)
    query = request.GET.copy()
    query.pop("page", None)
    counts, total, more = selectors.queue_tally(
        visible_few, selectors.filter_queue(visible, filters, user=user, counting=True)
    )
    return render(
        request,
        "cases/queue.html",
        {
            "page": page,
            "rows": [(report, marks[report.pk], subjects.get(report.pk, "")) for report in page.items],
            "names": names,
            "total": total,
            "more": more,
            "form": form,
            "counts": counts,
            "query": query.urlencode(),
            "can_export": allowed(user, Action.EXPORT_CSV),
            "can_audit": allowed(user, Action.VIEW_AUDIT),
            "mailbox_problems": selectors.mailbox_problems(user),
            "unread_mailboxes": selectors.unread_mailboxes(user),
        },
        status=200 if form.is_valid() or not request.GET else 400,
    )


def _report(reference: str) -> Report:
    return get_object_or_404(
        Report.objects.select_related("channel", "questionnaire", "assignee", "outcome"), reference=reference
    )


@require_http_methods(["GET", "POST"])
@staff_required
@handles_case_errors
def detail(request: HttpRequest, private_key: bytes | None, reference: str) -> HttpResponse:
    user, report = _staff(request), _report(reference)
    form = StaffReplyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        require(user, Action.REPLY, report)
        key = services.report_key_for(report=report, user=user, private_key=_key(private_key))
        try:
            message = register.post_message(
                report=report,
                report_key=key,
                body=form.cleaned_data["body"],
                files=incoming_files(request, "files"),
                author=user,
                answers_meeting=form.cleaned_data["answers_meeting"],
            )
        except EmptyMessage as error:
            form.add_error("body", error.user_message())
        except ReportDestroyed:  # destroyed under retention while the reply was written
            return render(request, "cases/purged.html", {"report": report}, status=410)
        else:
            flash.success(request, _("Your message was sent to the reporter."))
            if form.cleaned_data["by_email"] and form.cleaned_data["body"].strip():
                sent = services.answer_by_email(report=report, report_key=key, body=form.cleaned_data["body"], by=user)
                if sent == services.EmailAnswer.SENT:
                    flash.success(request, _("It was also sent by e-mail."))
                elif sent == services.EmailAnswer.UNCONFIRMED:
                    flash.warning(
                        request,
                        _(
                            "The mail server took it by e-mail but did not confirm it, so it may or may not have "
                            "arrived. Do not send it again by e-mail: it could arrive twice. The reporter reads it in "
                            "the portal."
                        ),
                    )
                else:
                    flash.warning(request, _("It could not be sent by e-mail; the reporter reads it in the portal."))
            return _back(reference, f"message-{message.pk}")
    if report.is_purged:
        return render(request, "cases/purged.html", {"report": report}, status=410)
    if not allowed(user, Action.READ_CONTENT, report) and allowed(user, Action.ESCROW_READ, report):
        return redirect("cases:escrow_read", reference=reference)
    content = services.open_case(report=report, user=user, private_key=_key(private_key))
    last_seen = services.mark_seen(report=report, user=user)
    context = {
        "case": content,
        # The reporter's messages this person had not seen before this opening.
        "unread_ids": {
            item.message.pk
            for item in content.messages
            if not item.message.from_organisation and (last_seen is None or item.message.created_at > last_seen)
        },
        "deadline": selectors.next_deadline(report),
        "form": form,
        "report": report,
        "notes": services.list_notes(report=report, report_key=content.report_key),
        "disclosures": services.disclosures(report=report, report_key=content.report_key),
        "transcripts": register.list_transcripts(report=report, report_key=content.report_key),
        "can": {action.value: allowed(user, action, report) for action in Action},
        "can_read_identity": services.can_read_identity(report=report, user=user),
        "can_read_again": services.can_read_again(report),
        "can_discard": bool(report.quarantine) and services.can_discard(report),
        "discard_form": DiscardForm(auto_id="discard_%s"),
        # Each form gets its own id prefix: several of them have a field of the same name.
        "assign_form": AssignForm(auto_id="assign_%s"),
        "exclude_form": ExcludeForm(auto_id="exclude_%s"),
        "close_form": CloseForm(auto_id="close_%s"),
        "note_form": NoteForm(auto_id="note_%s"),
        "labels_form": LabelsForm(auto_id="labels_%s", initial={"labels": report.labels.all()}),
        "link_form": LinkForm(auto_id="link_%s"),
        "disclosure_form": DisclosureRequestForm(auto_id="disclosure_%s"),
        "links": list(report.links_out.select_related("target")) + list(report.links_in.select_related("source")),
    }
    return render(request, "cases/detail.html", context, status=400 if form.errors else 200)


def _back(reference: str, place: str) -> HttpResponseRedirect:
    """Back to the report, at the place the person was working (a URL fragment)."""
    return HttpResponseRedirect(f"{reverse('cases:detail', args=[reference])}#{place}")


class Unchanged(str):
    """What an action says when it could not do what was asked: shown as a warning."""


def _post_action(
    form_class: type[forms.Form] | None, place: str = "actions"
) -> Callable[[Callable[..., str | None]], Callable[..., HttpResponseBase]]:
    """Wrap an action: POST only, staff only, form checked, errors as 4xx pages, then back to
    the report, at ``place`` (the id of the part of the page the action belongs to)."""

    def decorate(act: Callable[..., str | None]) -> Callable[..., HttpResponseBase]:
        @require_POST
        @staff_required
        @handles_case_errors
        @wraps(act)
        def view(request: HttpRequest, private_key: bytes | None, reference: str) -> HttpResponseBase:
            report = _report(reference)
            if report.is_purged:  # destroyed meanwhile (sent twice, or from another tab)
                return render(request, "cases/purged.html", {"report": report}, status=410)
            form = form_class(request.POST) if form_class else None
            if form is not None and not form.is_valid():
                errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
                return render(request, "cases/no_access.html", {"message": errors}, status=400)
            said = act(
                request=request,
                user=_staff(request),
                report=report,
                private_key=private_key,
                data=form.cleaned_data if form else {},
            )
            if isinstance(said, Unchanged):
                flash.warning(request, said)
            else:
                flash.success(request, said or _("Done."))
            return _back(report.reference, place)

        return view

    return decorate


@_post_action(AssignForm)
def assign(*, user: StaffUser, report: Report, private_key: bytes | None, data: dict[str, Any], **_: Any) -> None:
    services.assign_report(report=report, handler=data["handler"], by=user, private_key=_key(private_key))


@_post_action(ExcludeForm)
def exclude(*, user: StaffUser, report: Report, data: dict[str, Any], **_: Any) -> str | None:
    done = services.exclude_from_report(report=report, user=data["user"], by=user)
    if isinstance(done, ExclusionRequest):
        return gettext("A supervisor or an administrator is excluded only with a second supervisor's approval: asked.")
    return None


@require_GET
@staff_required
@handles_case_errors
def exclusions(request: HttpRequest, private_key: bytes | None, reference: str) -> HttpResponse:
    """Who is excluded from a report, the requests waiting for a second supervisor, and
    (for an administrator) lifting an exclusion through the escrow key."""
    del private_key
    user, report = _staff(request), _report(reference)
    can_decide, can_restore = (
        allowed(user, Action.DECIDE_EXCLUSION, report),
        allowed(user, Action.RESTORE_ACCESS, report),
    )
    if not (can_decide or can_restore):
        raise NotAllowed(Action.DECIDE_EXCLUSION)
    pending = report.exclusion_requests.filter(state=ExclusionRequest.State.PENDING).select_related(
        "user", "requested_by"
    )
    context = {
        "report": report,
        "excluded": report.exclusions.select_related("user", "created_by"),
        # The person concerned never sees the request about them; nor decides their own.
        "pending": [r for r in pending if user.pk != r.user_id],
        "user": user,
        "can_decide": can_decide,
        "can_restore": can_restore,
        "restore_form": RestoreAccessForm(auto_id="restore_%s"),
    }
    return render(request, "cases/exclusions.html", context)


@require_POST
@staff_required
@handles_case_errors
def decide_exclusion(request: HttpRequest, private_key: bytes | None, reference: str, request_id: int) -> HttpResponse:
    del private_key
    report = _report(reference)
    exclusion_request = get_object_or_404(ExclusionRequest, pk=request_id, report=report)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return render(request, "cases/no_access.html", {"message": _("Choose approve or refuse.")}, status=400)
    approve = form.cleaned_data["decision"] == "approve"
    services.decide_exclusion(request=exclusion_request, by=_staff(request), approve=approve)
    flash.success(request, _("The exclusion was approved.") if approve else _("The exclusion was refused."))
    return redirect("cases:exclusions", reference=reference)


@require_POST
@staff_required
@handles_case_errors
def restore_access(request: HttpRequest, private_key: bytes | None, reference: str) -> HttpResponse:
    report = _report(reference)
    form = RestoreAccessForm(request.POST)
    if not form.is_valid():
        errors = "; ".join(str(e) for errs in form.errors.values() for e in errs)
        return render(request, "cases/no_access.html", {"message": errors}, status=400)
    services.restore_after_exclusion(
        report=report,
        user=form.cleaned_data["user"],
        by=_staff(request),
        admin_private_key=_key(private_key),
        reason=form.cleaned_data["reason"],
    )
    flash.success(request, _("The exclusion was lifted and the access its person's position gives was restored."))
    return redirect("cases:exclusions", reference=reference)


@_post_action(None)
def acknowledge(*, user: StaffUser, report: Report, private_key: bytes | None, **_: Any) -> None:
    services.acknowledge_report(report=report, by=user, private_key=_key(private_key))


@_post_action(None)
def start_progress(*, user: StaffUser, report: Report, **_: Any) -> None:
    services.start_progress(report=report, by=user)


@_post_action(CloseForm)
def close(*, user: StaffUser, report: Report, private_key: bytes | None, data: dict[str, Any], **_: Any) -> None:
    services.close_report(
        report=report, by=user, private_key=_key(private_key), outcome=data["outcome"], reason=data["reason"]
    )


@_post_action(NoteForm, place="notes")
def note(*, user: StaffUser, report: Report, private_key: bytes | None, data: dict[str, Any], **_: Any) -> None:
    services.add_note(report=report, by=user, private_key=_key(private_key), body=data["body"])


@_post_action(None, place="held")
def retry_held(*, user: StaffUser, report: Report, private_key: bytes | None, **_: Any) -> str:
    if services.retry_held(report=report, by=user, private_key=_key(private_key)):
        return gettext("The original was read again: the report is no longer held.")
    return Unchanged(
        gettext("The original still cannot be read whole. Read it yourself from the original, or discard it.")
    )


@_post_action(DiscardForm, place="held")
def discard_held(*, user: StaffUser, report: Report, **_: Any) -> str:
    services.discard_held(report=report, by=user)
    return gettext("The held report was discarded and destroyed.")


@staff_required
@handles_case_errors
def original(request: HttpRequest, private_key: bytes | None, reference: str) -> HttpResponseBase:
    """The original as the channel received it (a mail: it names the sender), for a supervisor."""
    report = _report(reference)
    data = services.read_original(report=report, by=_staff(request), private_key=_key(private_key))
    return attachment_response(name=f"{report.reference}.eml", size=len(data), chunks=iter([data]))


@_post_action(LabelsForm)
def labels(*, user: StaffUser, report: Report, data: dict[str, Any], **_: Any) -> None:
    services.set_labels(report=report, by=user, labels=data["labels"])


@_post_action(LinkForm)
def link(*, user: StaffUser, report: Report, data: dict[str, Any], **_: Any) -> None:
    target = Report.objects.filter(reference=data["target"].strip().upper()).first()
    if target is None:
        raise NotAllowed(Action.LINK)
    services.link_reports(source=report, target=target, kind=data["kind"], by=user)


@_post_action(HoldForm)
def legal_hold(*, user: StaffUser, report: Report, data: dict[str, Any], **_: Any) -> None:
    services.set_legal_hold(report=report, by=user, hold=data["hold"])


@_post_action(DisclosureRequestForm, place="identity")
def request_identity(
    *, user: StaffUser, report: Report, private_key: bytes | None, data: dict[str, Any], **_: Any
) -> None:
    services.request_identity(report=report, by=user, private_key=_key(private_key), reason=data["reason"])


@require_POST
@staff_required
@handles_case_errors
def decide_identity(request: HttpRequest, private_key: bytes | None, reference: str, request_id: int) -> HttpResponse:
    report = _report(reference)
    disclosure_request = get_object_or_404(DisclosureRequest, pk=request_id, report=report)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return render(request, "cases/no_access.html", {"message": _("Choose approve or refuse.")}, status=400)
    services.decide_identity(
        request=disclosure_request,
        by=_staff(request),
        private_key=_key(private_key),
        approve=form.cleaned_data["decision"] == "approve",
    )
    flash.success(request, _("Decision recorded."))
    return _back(reference, "identity")


@require_POST
@staff_required
@handles_case_errors
def reveal_identity(request: HttpRequest, private_key: bytes | None, reference: str) -> HttpResponse:
    report = _report(reference)
    identity = services.read_identity(report=report, by=_staff(request), private_key=_key(private_key))
    return render(request, "cases/identity.html", {"report": report, "identity": identity})


@staff_required
@handles_case_errors
def download(request: HttpRequest, private_key: bytes | None, attachment_id: int) -> HttpResponseBase:
    attachment = get_object_or_404(Attachment.objects.select_related("report"), pk=attachment_id)
    require(_staff(request), Action.READ_CONTENT, attachment.report)
    if not attachment.from_staff and request.GET.get("confirm") != "1":
        info = services.describe_attachment_for(
            attachment=attachment, user=_staff(request), private_key=_key(private_key)
        )
        if not info.cleaned:
            # Kept as the reporter sent it (metadata and all, and perhaps harmful): say so
            # first, on a page of its own that needs no script.
            return render(request, "cases/download_uncleaned.html", {"file": info, "report": attachment.report})
    info, chunks = services.download_attachment(
        attachment=attachment, user=_staff(request), private_key=_key(private_key)
    )
    return attachment_response(name=info.name, size=info.size, chunks=chunks)


@staff_required
@handles_case_errors
def export_pdf(request: HttpRequest, private_key: bytes | None, reference: str) -> HttpResponseBase:
    report = _report(reference)
    return services.case_pdf_response(report=report, by=_staff(request), private_key=_key(private_key))


@staff_required
@handles_case_errors
def export_csv(request: HttpRequest, private_key: bytes | None) -> HttpResponseBase:
    user = _staff(request)
    require(user, Action.EXPORT_CSV)
    form = QueueFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        # Never the whole queue instead of the list that was asked for.
        errors = "; ".join(f"{form[name].label}: {e}" for name, errs in form.errors.items() for e in errs)
        message = _("The filters are not valid (%(errors)s). Correct them on the list and try again.")
        context = {"title": _("Nothing was exported"), "message": message % {"errors": errors}}
        return render(request, "cases/no_access.html", context, status=400)
    return services.queue_csv_response(by=user, filters=form.cleaned_data if form.is_bound else {})


@staff_required
@handles_case_errors
def audit_trail(request: HttpRequest, private_key: bytes | None, reference: str | None = None) -> HttpResponse:
    user = _staff(request)
    require(user, Action.VIEW_AUDIT)
    entries = selectors.audit_entries(user=user, reference=reference or None)
    page = Paginator(entries, 100).get_page(request.GET.get("page"))
    return render(request, "cases/audit.html", {"page": page, "reference": reference})


class EscrowReadForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why you must read this report"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Recorded in the audit trail, which supervisors read."),
    )


@require_http_methods(["GET", "POST"])
@staff_required
@handles_case_errors
def escrow_read(request: HttpRequest, private_key: bytes | None, reference: str) -> HttpResponse:
    """An admin reads a report through the escrow key, after giving a written reason."""
    user, report = _staff(request), _report(reference)
    require(user, Action.ESCROW_READ, report)
    form = EscrowReadForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        content = services.open_case_with_escrow(
            report=report, admin=user, admin_private_key=_key(private_key), reason=form.cleaned_data["reason"]
        )
        return render(request, "cases/escrow_read.html", {"case": content, "report": report})
    return render(
        request, "cases/escrow_reason.html", {"form": form, "report": report}, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
@staff_required
@handles_case_errors
def alert_settings(request: HttpRequest, private_key: bytes | None) -> HttpResponse:
    """The staff member's own choice of alert e-mails: a digest, immediate, or none."""
    del private_key
    user = _staff(request)
    require(user, Action.VIEW_QUEUE)
    form = AlertPreferenceForm(
        request.POST if request.method == "POST" else None, initial={"mode": alerts.mode_of(user)}
    )
    if request.method == "POST":
        if form.is_valid():
            alerts.set_alert_mode(user=user, mode=form.cleaned_data["mode"])
            flash.success(request, _("Your choice was saved."))
            return redirect("cases:alerts")
        flash.error(request, _("Choose one of the three ways."))
    context = {
        "form": form,
        "times": [at.strftime("%H:%M") for at in settings.TIPLINE_ALERT_DIGEST_TIMES],
        "has_email": bool(user.email),
        "may_receive": alerts.may_receive_alerts(user),
    }
    return render(request, "cases/alerts.html", context, status=400 if form.errors else 200)
