"""Public pages: check a commendation's code, the roll of honour, check a proof of reporting."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from tipline.rewards import services
from tipline.rewards.exceptions import InvalidStatement
from tipline.rewards.forms import CodeForm, StatementForm

MAX_UPLOAD = 4000
# The statement's fields are signed in English; the page names them in the reader's language.
FIELD_LABELS = {
    "Organisation": _("Organisation"),
    "Reference": _("Reference"),
    "Channel": _("Channel"),
    "Received": _("Received"),
    "Acknowledged": _("Acknowledged"),
    "Issued": _("Issued"),
}


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """POST only carries the code, so it is in no address, history or log."""
    form = CodeForm(request.POST if request.method == "POST" else None)
    context: dict[str, object] = {"form": form, "checked": False}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            context["checked"] = True
            context["result"] = services.verify_commendation(code=form.cleaned_data["code"])
            status = 200 if context["result"] is not None else 404
        else:
            status = 400
    return render(request, "rewards/verify.html", context, status=status)


@require_GET
def honour(request: HttpRequest) -> HttpResponse:
    return render(request, "rewards/honour.html", {"entries": services.roll_of_honour()})


@require_http_methods(["GET", "POST"])
def verify_proof(request: HttpRequest) -> HttpResponse:
    form = StatementForm(request.POST or None, request.FILES or None)
    context: dict[str, object] = {"form": form, "public_key": services.public_key_text()}
    status = 200
    if request.method == "POST":
        text = ""
        if form.is_valid():
            upload = form.cleaned_data.get("file")
            text = upload.read(MAX_UPLOAD + 1).decode("utf-8", "replace") if upload else form.cleaned_data["text"]
        try:
            statement = services.verify_statement(text=text)
            context["statement"] = statement
            context["fields"] = [(FIELD_LABELS.get(name, name), value) for name, value in statement.fields.items()]
        except InvalidStatement as error:
            context["error"] = error.user_message()
            status = 400
    return render(request, "rewards/verify_proof.html", context, status=status)


@require_GET
def public_key(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(services.public_key_text() + "\n", content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response
