"""The handler console (first cut): the reports a handler holds, one report, replies."""

from __future__ import annotations

from django import forms
from django.contrib import messages as flash
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from tipline.accounts.decorators import staff_required
from tipline.accounts.models import StaffUser
from tipline.cases import services
from tipline.cases.exceptions import EmptyMessage, NoAccess
from tipline.downloads import attachment_response
from tipline.intake.models import Attachment, Report
from tipline.intake.uploads import incoming_files


class StaffReplyForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Message to the reporter"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


def _no_key(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "cases/no_access.html",
        {
            "message": _("Your account holds no key to read reports. Ask an administrator."),
        },
        status=403,
    )


def _staff(request: HttpRequest) -> StaffUser:
    assert isinstance(request.user, StaffUser)  # noqa: S101 - staff_required ran
    return request.user


@staff_required
def queue(request: HttpRequest, private_key: bytes | None) -> HttpResponse:
    del private_key
    reports = services.reports_for(_staff(request)).order_by("-created_at")
    page = Paginator(reports, 50).get_page(request.GET.get("page"))
    return render(request, "cases/queue.html", {"page": page})


@require_http_methods(["GET", "POST"])
@staff_required
def detail(request: HttpRequest, private_key: bytes | None, reference: str) -> HttpResponse:
    if private_key is None:
        return _no_key(request)
    user = _staff(request)
    report = get_object_or_404(Report.objects.select_related("channel", "questionnaire"), reference=reference)
    form = StaffReplyForm(request.POST if request.method == "POST" else None)
    try:
        if request.method == "POST" and form.is_valid():
            key = services.report_key_for(report=report, user=user, private_key=private_key)
            try:
                services.post_message(
                    report=report,
                    report_key=key,
                    body=form.cleaned_data["body"],
                    files=incoming_files(request, "files"),
                    author=user,
                )
            except EmptyMessage:
                form.add_error("body", _("Write a message or add a file."))
            else:
                flash.success(request, _("Your message was sent to the reporter."))
                return redirect("cases:detail", reference=reference)
        content = services.open_case(report=report, user=user, private_key=private_key)
    except NoAccess:
        return render(
            request,
            "cases/no_access.html",
            {
                "message": _("You have no access to this report."),
            },
            status=403,
        )
    return render(request, "cases/detail.html", {"case": content, "form": form}, status=400 if form.errors else 200)


@staff_required
def download(request: HttpRequest, private_key: bytes | None, attachment_id: int) -> HttpResponseBase:
    if private_key is None:
        return _no_key(request)
    attachment = get_object_or_404(Attachment.objects.select_related("report"), pk=attachment_id)
    try:
        info, chunks = services.download_attachment(
            attachment=attachment, user=_staff(request), private_key=private_key
        )
    except NoAccess:
        return render(request, "cases/no_access.html", {"message": _("You have no access to this file.")}, status=403)
    return attachment_response(name=info.name, size=info.size, chunks=chunks)
