"""New revisions of published articles: written and reviewed while the published text
stays up, applied only on another editor's approval, with who approved which revision."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from tipline.accounts.models import Role
from tipline.audit.models import AuditEntry
from tipline.conftest import csrf_token
from tipline.publishing import services
from tipline.publishing.exceptions import (
    ArticleChangedMeanwhile,
    InvalidMarkdown,
    NotAnEditor,
    NotTheRevisionWriter,
    OwnRevisionReview,
    RevisionDraftOpen,
    WrongState,
)
from tipline.publishing.models import Article, ArticleState, RevisionDraft, RevisionDraftState
from tipline.publishing.tests.conftest import Editors, login, make_staff, publish

CORRECTED = "The audit **found** gaps of 2 million.\n\n## Details\n\nMore text here."


def _words(**overrides: str) -> services.RevisionWords:
    values = {"title": "Council audit finds missing funds", "summary": "Corrected summary.", "body": CORRECTED}
    values.update(overrides)
    return services.RevisionWords(note="Corrected the amount", **values)  # type: ignore[arg-type]


def _in_review(editors: Editors, article: Article) -> RevisionDraft:
    draft = services.start_revision(article=article, by=editors.reviewer)
    services.update_revision(draft=draft, by=editors.reviewer, words=_words())
    return services.submit_revision(draft=draft, by=editors.reviewer)


def test_the_published_text_stays_until_another_editor_approves(editors: Editors, client: Client) -> None:
    article = publish(editors)
    draft = _in_review(editors, article)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "2 million" not in page
    assert Article.objects.get(pk=article.pk).state == ArticleState.PUBLISHED
    services.approve_revision(draft=draft, by=editors.author)
    article.refresh_from_db()
    assert article.state == ArticleState.PUBLISHED
    assert "2 million" in article.body_html
    assert article.summary == "Corrected summary."
    assert "2 million" in client.get(article.get_absolute_url()).content.decode()
    draft.refresh_from_db()
    assert (draft.state, draft.decided_by, draft.revision_number) == ("approved", editors.author, 2)
    revision = article.revisions.get(number=2)
    assert revision.editor == editors.reviewer
    assert revision.approved_by == editors.author
    assert "approved by author" in revision.note
    entry = AuditEntry.objects.filter(action="publishing.revision_approved").get()
    assert entry.actor_id == editors.author.pk
    assert entry.detail["revision"] == 2


def test_a_rejected_revision_leaves_the_published_one_untouched(editors: Editors) -> None:
    article = publish(editors)
    before = (article.title, article.summary, article.body, article.body_html)
    draft = _in_review(editors, article)
    services.reject_revision(draft=draft, by=editors.author, note="The amount is not confirmed.")
    article.refresh_from_db()
    assert (article.title, article.summary, article.body, article.body_html) == before
    assert article.revisions.count() == 1
    draft.refresh_from_db()
    assert draft.state == RevisionDraftState.REJECTED
    assert draft.review_note == "The amount is not confirmed."
    assert services.start_revision(article=article, by=editors.author).state == "draft"  # a new one may start


def test_the_writer_cannot_approve_return_or_reject_their_own_revision(editors: Editors) -> None:
    draft = _in_review(editors, publish(editors))
    for step in (services.approve_revision, services.reject_revision, services.return_revision):
        with pytest.raises(OwnRevisionReview):
            step(draft=draft, by=editors.reviewer)  # type: ignore[operator]
    assert RevisionDraft.objects.get(pk=draft.pk).state == RevisionDraftState.IN_REVIEW


def test_the_database_refuses_a_revision_approved_by_its_writer(editors: Editors) -> None:
    draft = _in_review(editors, publish(editors))
    with pytest.raises(IntegrityError), transaction.atomic():
        RevisionDraft.objects.filter(pk=draft.pk).update(state="approved", decided_by=editors.reviewer)


def test_only_its_writer_changes_sends_or_discards_a_revision(editors: Editors) -> None:
    draft = services.start_revision(article=publish(editors), by=editors.reviewer)
    with pytest.raises(NotTheRevisionWriter):
        services.update_revision(draft=draft, by=editors.author, words=_words())
    with pytest.raises(NotTheRevisionWriter):
        services.submit_revision(draft=draft, by=editors.author)
    with pytest.raises(NotTheRevisionWriter):
        services.discard_revision(draft=draft, by=editors.author)
    handler = make_staff("handler", [Role.HANDLER])
    with pytest.raises(NotAnEditor):
        services.start_revision(article=draft.article, by=handler)


def test_one_open_revision_per_article_and_only_of_a_published_one(editors: Editors) -> None:
    article = publish(editors)
    services.start_revision(article=article, by=editors.author)
    with pytest.raises(RevisionDraftOpen):
        services.start_revision(article=article, by=editors.reviewer)
    draft_article = services.create_article(author=editors.author, content=_content_for_draft())
    with pytest.raises(WrongState):
        services.start_revision(article=draft_article, by=editors.author)


def _content_for_draft() -> services.ArticleContent:
    from tipline.publishing.tests.conftest import content

    return content(title="Another article")


def test_bad_markdown_is_refused_and_nothing_is_saved(editors: Editors) -> None:
    draft = services.start_revision(article=publish(editors), by=editors.reviewer)
    with pytest.raises(InvalidMarkdown):
        services.update_revision(draft=draft, by=editors.reviewer, words=_words(body="![](https://evil.example/x.png)"))
    draft.refresh_from_db()
    assert "2 million" not in draft.body
    assert draft.summary != "Corrected summary."


def test_an_article_withdrawn_or_changed_meanwhile_is_not_overwritten(editors: Editors) -> None:
    article = publish(editors)
    draft = _in_review(editors, article)
    services.archive_article(article=article, by=editors.author)
    with pytest.raises(WrongState):
        services.approve_revision(draft=draft, by=editors.author)
    services.restore_article(article=article, by=editors.author)
    services.update_article(
        article=article,
        editor=editors.author,
        content=_content_for_draft(),
        base_revision=1,
    )
    services.submit_for_review(article=article, by=editors.author)
    services.publish_article(article=Article.objects.get(pk=article.pk), by=make_staff("third", [Role.EDITOR]))
    with pytest.raises(ArticleChangedMeanwhile):
        services.approve_revision(draft=draft, by=editors.author)
    assert Article.objects.get(pk=article.pk).title == "Another article"


# ------------------------------------------------------------------ through the pages


@pytest.fixture
def writer(editors: Editors) -> Client:
    return login(Client(enforce_csrf_checks=True), editors.reviewer)


@pytest.fixture
def other(editors: Editors) -> Client:
    return login(Client(enforce_csrf_checks=True), editors.author)


def _post(client: Client, url: str, data: dict[str, str], page: str) -> int:
    return client.post(url, {"csrfmiddlewaretoken": csrf_token(client, page), **data}).status_code


def test_the_whole_review_through_the_pages_without_javascript(editors: Editors, writer: Client, other: Client) -> None:
    article = publish(editors)
    page = f"/editor/articles/{article.pk}/"
    assert "start a new revision" in writer.get(page).content.decode()
    assert _post(writer, f"/editor/articles/{article.pk}/revise/", {}, page) == 302
    draft = RevisionDraft.objects.get()
    draft_page = f"/editor/revision-drafts/{draft.pk}/"
    words = {"title": article.title, "summary": "Corrected summary.", "body": CORRECTED, "note": "Amount"}
    assert _post(other, draft_page, words, draft_page) == 403  # not the writer: nothing saved
    assert _post(writer, draft_page, {**words, "title": ""}, draft_page) == 400  # a title is needed
    assert _post(writer, draft_page, words, draft_page) == 302
    act = f"/editor/revision-drafts/{draft.pk}/act/"
    assert _post(writer, act, {"action": "submit"}, draft_page) == 302
    assert _post(writer, act, {"action": "approve"}, draft_page) == 403
    assert "You wrote this revision" in writer.get(draft_page).content.decode()
    assert _post(other, act, {"action": "bogus"}, draft_page) == 400
    assert "2 million" not in Client().get(article.get_absolute_url()).content.decode()
    assert "New revisions of published articles" in other.get("/editor/").content.decode()
    assert _post(other, act, {"action": "approve"}, draft_page) == 302
    assert "2 million" in Client().get(article.get_absolute_url()).content.decode()
    assert _post(other, act, {"action": "approve"}, draft_page) == 409  # already approved


@pytest.mark.parametrize(
    ("who", "expected"), [("anonymous", 302), ("handler", 403), ("writer", 200), ("other_editor", 200)]
)
def test_who_may_open_a_revision(editors: Editors, who: str, expected: int) -> None:
    draft = services.start_revision(article=publish(editors), by=editors.reviewer)
    client = Client(enforce_csrf_checks=True)
    if who == "handler":
        login(client, make_staff("handler", [Role.HANDLER]))
    elif who == "writer":
        login(client, editors.reviewer)
    elif who == "other_editor":
        login(client, editors.author)
    assert client.get(f"/editor/revision-drafts/{draft.pk}/").status_code == expected


@pytest.mark.parametrize("who", ["anonymous", "handler"])
def test_staff_who_are_not_editors_cannot_start_or_act_on_a_revision(editors: Editors, who: str) -> None:
    article = publish(editors)
    draft = _in_review(editors, article)
    client = Client(enforce_csrf_checks=True)
    if who == "handler":
        login(client, make_staff("handler", [Role.HANDLER]))
    assert client.post(f"/editor/articles/{article.pk}/revise/").status_code in {302, 403}
    assert client.post(f"/editor/revision-drafts/{draft.pk}/act/", {"action": "approve"}).status_code in {302, 403}
    assert RevisionDraft.objects.get(pk=draft.pk).state == RevisionDraftState.IN_REVIEW


def test_a_missing_revision_is_a_404(editors: Editors, writer: Client) -> None:
    assert writer.get("/editor/revision-drafts/999999/").status_code == 404
