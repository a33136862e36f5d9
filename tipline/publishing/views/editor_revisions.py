"""New revisions of published articles: start, write, send for review, approve, return,
reject or discard. The published article stays up until a second editor approves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tipline.publishing import services
from tipline.publishing.exceptions import PublishingError
from tipline.publishing.forms import RevisionActionForm, RevisionForm
from tipline.publishing.models import Article, ArticleRevision, RevisionDraft, RevisionDraftState
from tipline.publishing.revisions import compare
from tipline.publishing.views.editor import _user, editor_required


@require_POST
@editor_required
def start(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk)
    try:
        draft = services.start_revision(article=article, by=_user(request))
    except PublishingError as error:
        flash.error(request, error.user_message())
        return redirect("publishing_editor:article", pk)
    flash.success(request, _("New revision started. The published article stays as it is until it is approved."))
    return redirect("publishing_editor:revision_draft", draft.pk)


def _as_revision(draft: RevisionDraft) -> ArticleRevision:
    """The draft's words in the shape the comparison reads (never saved)."""
    return ArticleRevision(
        title=draft.title, summary=draft.summary, body=draft.body, case_fields=draft.case_fields, number=0
    )


def _page(
    request: HttpRequest,
    draft: RevisionDraft,
    *,
    form: RevisionForm | None = None,
    action_form: RevisionActionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    me = _user(request)
    article = draft.article
    published = ArticleRevision(
        title=article.title, summary=article.summary, body=article.body, case_fields=article.case_fields, number=0
    )
    is_writer = me.pk == draft.author_id
    if form is None and is_writer and draft.state == RevisionDraftState.DRAFT:
        initial: dict[str, Any] = {"title": draft.title, "summary": draft.summary, "body": draft.body}
        initial["note"] = draft.note
        initial.update({f"case_{key}": value for key, value in draft.case_fields.items()})
        form = RevisionForm(initial=initial)
    context = {
        "draft": draft,
        "article": article,
        "form": form,
        "action_form": action_form or RevisionActionForm(),
        "is_writer": is_writer,
        "diff": compare(published, _as_revision(draft)),
    }
    return render(request, "publishing/editor/revision_draft.html", context, status=status)


def _draft(pk: int) -> RevisionDraft:
    return get_object_or_404(RevisionDraft.objects.select_related("article", "author", "decided_by"), pk=pk)


@require_http_methods(["GET", "POST"])
@editor_required
def draft_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The revision beside the published text; its writer changes it here while it is a draft."""
    draft = _draft(pk)
    if request.method == "GET":
        return _page(request, draft)
    form = RevisionForm(request.POST)
    if not form.is_valid():
        return _page(request, draft, form=form, status=400)
    data = form.cleaned_data
    words = services.RevisionWords(
        title=data["title"],
        summary=data["summary"],
        body=data["body"],
        case_fields=form.case_fields(),
        note=data["note"],
    )
    try:
        services.update_revision(draft=draft, by=_user(request), words=words)
    except PublishingError as error:
        form.add_error(None, error.user_message())
        return _page(request, _draft(pk), form=form, status=error.status)
    flash.success(request, _("Revision saved. The published article has not changed."))
    return redirect("publishing_editor:revision_draft", pk)


@require_POST
@editor_required
def act(request: HttpRequest, pk: int) -> HttpResponse:
    draft = _draft(pk)
    form = RevisionActionForm(request.POST)
    if not form.is_valid():
        return _page(request, draft, action_form=form, status=400)
    me, action, note = _user(request), form.cleaned_data["action"], form.cleaned_data["note"]
    steps: dict[str, tuple[Callable[[], RevisionDraft], str]] = {
        "submit": (lambda: services.submit_revision(draft=draft, by=me), _("Revision sent for review.")),
        "discard": (lambda: services.discard_revision(draft=draft, by=me), _("Revision discarded.")),
        "approve": (
            lambda: services.approve_revision(draft=draft, by=me),
            _("Revision approved: the published article now shows it."),
        ),
        "return": (lambda: services.return_revision(draft=draft, by=me, note=note), _("Revision sent back.")),
        "reject": (
            lambda: services.reject_revision(draft=draft, by=me, note=note),
            _("Revision rejected. The published article is unchanged."),
        ),
    }
    step, done = steps[action]
    try:
        step()
    except PublishingError as error:
        form.add_error(None, error.user_message())
        return _page(request, _draft(pk), action_form=form, status=error.status)
    flash.success(request, done)
    return redirect("publishing_editor:revision_draft", pk)
