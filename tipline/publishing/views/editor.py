"""The editors' pages: write, send for review, review, publish, archive, compare revisions."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages as flash
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from tipline.accounts.decorators import staff_required
from tipline.accounts.models import Role, StaffUser
from tipline.publishing import services
from tipline.publishing.exceptions import PublishingError, SelfReviewForbidden
from tipline.publishing.forms import ArticleForm, ReviewForm
from tipline.publishing.models import Article, ArticleState, RevisionDraft, RevisionDraftState
from tipline.publishing.rendering import removed_markup
from tipline.publishing.revisions import compare
from tipline.publishing.services.editorial import latest_revision_number


def editor_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A logged-in staff member with the editor role; the private key is not needed here."""

    @staff_required
    @wraps(view)
    def wrapper(request: HttpRequest, private_key: bytes | None, *args: Any, **kwargs: Any) -> HttpResponseBase:
        del private_key
        user = request.user
        if not isinstance(user, StaffUser) or not user.has_role(Role.EDITOR):
            message = _("Only editors can open the editors' pages.")
            return render(request, "publishing/editor/forbidden.html", {"message": message}, status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _user(request: HttpRequest) -> StaffUser:
    assert isinstance(request.user, StaffUser)  # noqa: S101 - editor_required ran
    return request.user


@require_safe
@editor_required
def dashboard(request: HttpRequest) -> HttpResponse:
    me = _user(request)
    articles = Article.objects.select_related("author", "category").order_by("-updated_at")
    to_review = [
        a for a in articles.filter(state=ArticleState.IN_REVIEW) if me.pk not in services.writers_of(article=a)
    ]
    revisions_to_review = RevisionDraft.objects.filter(state=RevisionDraftState.IN_REVIEW).exclude(author=me)
    context = {
        "to_review": to_review,
        "revisions_to_review": revisions_to_review.select_related("article", "author"),
        "mine": articles.filter(Q(author=me) | Q(revisions__editor=me)).exclude(state=ArticleState.ARCHIVED).distinct(),
        "by_state": [(label, articles.filter(state=value)[:50]) for value, label in ArticleState.choices],
    }
    return render(request, "publishing/editor/dashboard.html", context)


def _content(form: ArticleForm) -> services.ArticleContent:
    data = form.cleaned_data
    return services.ArticleContent(
        title=data["title"],
        summary=data["summary"],
        body=data["body"],
        language=data["language"],
        category=data["category"],
        tags=services.parse_tags(text=data["tags"]),
        case_fields=form.case_fields(),
        cover=data["cover"],
        cover_alt=data["cover_alt"],
        featured=data["featured"],
        slug=data["slug"],
        translation_of=data["translation_of"],
    )


def _form_page(request: HttpRequest, form: ArticleForm, article: Article | None, status: int = 200) -> HttpResponse:
    context = {"form": form, "article": article}
    return render(request, "publishing/editor/article_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@editor_required
def new_article(request: HttpRequest) -> HttpResponse:
    form = ArticleForm(request.POST if request.method == "POST" else None, initial={"language": request.LANGUAGE_CODE})
    if request.method == "POST" and form.is_valid():
        try:
            article = services.create_article(author=_user(request), content=_content(form))
        except PublishingError as error:
            form.add_error(None, error.user_message())
            return _form_page(request, form, None, status=error.status)
        flash.success(request, _("Draft saved."))
        return redirect("publishing_editor:article", article.pk)
    return _form_page(request, form, None, status=400 if form.errors else 200)


def _initial(article: Article) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "title": article.title,
        "slug": article.slug,
        "language": article.language,
        "category": article.category,
        "summary": article.summary,
        "body": article.body,
        "tags": ", ".join(tag.name for tag in article.tags.all()),
        "cover": article.cover,
        "cover_alt": article.cover_alt,
        "featured": article.featured,
        "translation_of": article.translation_of,
        "base_revision": latest_revision_number(article=article),
    }
    initial.update({f"case_{key}": value for key, value in article.case_fields.items()})
    return initial


@require_http_methods(["GET", "POST"])
@editor_required
def edit_article(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk)
    if not article.is_editable:
        flash.error(request, _("Only drafts can be changed. Send the article back to draft first."))
        return redirect("publishing_editor:article", article.pk)
    form = ArticleForm(request.POST if request.method == "POST" else None, initial=_initial(article))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_article(
                article=article,
                editor=_user(request),
                content=_content(form),
                base_revision=form.cleaned_data["base_revision"] or 0,
                note=form.cleaned_data["note"],
            )
        except PublishingError as error:
            form.add_error(None, error.user_message())
            return _form_page(request, form, article, status=error.status)
        flash.success(request, _("Draft saved."))
        return redirect("publishing_editor:article", article.pk)
    return _form_page(request, form, article, status=400 if form.errors else 200)


def _detail(
    request: HttpRequest, article: Article, *, review: ReviewForm | None = None, status: int = 200
) -> HttpResponse:
    me = _user(request)
    try:
        services.check_can_publish(article=article, by=me)
        can_publish, publish_block = True, ""
    except SelfReviewForbidden as error:
        can_publish, publish_block = False, error.user_message()
    context = {
        "article": article,
        "revisions": article.revisions.select_related("editor", "approved_by"),
        "review_form": review or ReviewForm(),
        "can_publish": can_publish,
        "publish_block": publish_block,
        "tags": article.tags.all(),
        "open_revision": services.open_revision_draft(article=article),
        "revision_drafts": article.revision_drafts.select_related("author", "decided_by"),
        # Shown after every save and beside the preview: raw HTML the page leaves out.
        "removed": removed_markup(article.body, *article.case_fields.values()),
    }
    return render(request, "publishing/editor/article.html", context, status=status)


@require_safe
@editor_required
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article.objects.select_related("author", "publisher", "category", "cover"), pk=pk)
    return _detail(request, article)


def _act(request: HttpRequest, pk: int, action: Callable[[Article, StaffUser], Article], done: str) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk)
    try:
        action(article, _user(request))
    except PublishingError as error:
        flash.error(request, error.user_message())
        return _detail(request, Article.objects.get(pk=pk), status=error.status)
    flash.success(request, done)
    return redirect("publishing_editor:article", pk)


@require_POST
@editor_required
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda a, u: services.submit_for_review(article=a, by=u), _("Sent for review."))


@require_POST
@editor_required
def archive(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda a, u: services.archive_article(article=a, by=u), _("Archived."))


@require_POST
@editor_required
def restore(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lambda a, u: services.restore_article(article=a, by=u), _("Back to draft."))


@require_POST
@editor_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _detail(request, article, review=form, status=400)
    me, data = _user(request), form.cleaned_data
    try:
        if data["action"] == "publish":
            services.publish_article(article=article, by=me)
            flash.success(request, _("Published."))
        elif data["action"] == "schedule":
            services.schedule_article(article=article, by=me, publish_at=data["publish_at"])
            flash.success(request, _("Scheduled."))
        else:
            services.return_to_draft(article=article, by=me, note=data["note"])
            flash.success(request, _("Sent back to draft."))
    except PublishingError as error:
        form.add_error(None, error.user_message())
        return _detail(request, Article.objects.get(pk=pk), review=form, status=error.status)
    return redirect("publishing_editor:article", pk)


@require_safe
@editor_required
def revisions(request: HttpRequest, pk: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=pk)
    history = list(article.revisions.select_related("editor"))
    numbers = {revision.number: revision for revision in history}
    newest = history[0].number if history else 0
    old_number = _number(request.GET.get("from"), default=max(newest - 1, 1))
    new_number = _number(request.GET.get("to"), default=newest)
    old, new = numbers.get(old_number), numbers.get(new_number)
    context: dict[str, Any] = {"article": article, "history": history, "old": old, "new": new}
    if old is not None and new is not None:
        context["diff"] = compare(old, new)
    return render(request, "publishing/editor/revisions.html", context)


def _number(raw: str | None, *, default: int) -> int:
    try:
        return int(raw or default)
    except ValueError:
        return default
