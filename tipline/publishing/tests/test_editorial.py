"""The editorial workflow: draft, review, scheduled, published, archived; four eyes; revisions."""

from __future__ import annotations

import io
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tipline.accounts.models import Role
from tipline.audit.models import AuditEntry
from tipline.publishing import services
from tipline.publishing.exceptions import (
    EditConflict,
    InvalidMarkdown,
    MissingCaseFields,
    NotAnEditor,
    ScheduleInPast,
    SelfReviewForbidden,
    SlugTaken,
    WrongState,
)
from tipline.publishing.models import Article, ArticleState
from tipline.publishing.revisions import compare
from tipline.publishing.tests.conftest import (
    CASE,
    Editors,
    category,
    content,
    make_staff,
    png_bytes,
    publish,
    run_jobs,
)


def _in_review(editors: Editors, **overrides: object) -> Article:
    article = services.create_article(author=editors.author, content=content(**overrides))
    return services.submit_for_review(article=article, by=editors.author)


def test_a_new_article_is_a_draft_with_its_first_revision(editors: Editors) -> None:
    article = services.create_article(author=editors.author, content=content())
    assert article.state == ArticleState.DRAFT
    assert article.slug == "council-audit-finds-missing-funds"
    assert [r.number for r in article.revisions.all()] == [1]
    assert "<strong>found</strong>" in article.body_html
    assert sorted(t.name for t in article.tags.all()) == ["audit", "council"]


def test_a_draft_goes_through_review_to_publication(editors: Editors) -> None:
    article = publish(editors)
    assert article.state == ArticleState.PUBLISHED
    assert article.publisher == editors.reviewer
    assert article.published_at is not None
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    assert "publishing.submitted" in actions
    assert "publishing.published" in actions


def test_the_author_cannot_publish_their_own_article(editors: Editors) -> None:
    article = _in_review(editors)
    with pytest.raises(SelfReviewForbidden):
        services.publish_article(article=article, by=editors.author)
    with pytest.raises(SelfReviewForbidden):
        services.schedule_article(article=article, by=editors.author, publish_at=timezone.now() + timedelta(days=1))
    article.refresh_from_db()
    assert article.state == ArticleState.IN_REVIEW


def test_a_reviewer_who_edited_the_text_cannot_publish_it(editors: Editors) -> None:
    article = services.create_article(author=editors.author, content=content())
    services.update_article(
        article=article, editor=editors.reviewer, content=content(body="Better words."), base_revision=1
    )
    services.submit_for_review(article=article, by=editors.author)
    with pytest.raises(SelfReviewForbidden):
        services.publish_article(article=article, by=editors.reviewer)
    third = make_staff("third", [Role.EDITOR])
    assert services.publish_article(article=article, by=third).state == ArticleState.PUBLISHED


def _a_change_to(name: str, editors: Editors) -> dict[str, Any]:
    """Content that differs from ``content()`` in ``name`` only."""
    if name == "cover":
        upload = io.BytesIO(png_bytes(size=(40, 20)))
        return {"cover": services.upload_image(upload=upload, alt_text="A chart", by=editors.author)}
    if name == "translation_of":
        other = services.create_article(author=editors.author, content=content(title="Other", language="zh-hans"))
        return {"translation_of": other}
    changes: dict[str, dict[str, Any]] = {
        "tags": {"tags": ["audit", "council", "budget"]},
        "slug": {"slug": "a-new-address"},
        "category": {"category": category("education")},
        "cover_alt": {"cover_alt": "A chart of the missing funds"},
        "featured": {"featured": True},
        "language": {"language": "zh-hans"},
    }
    return changes[name]


@pytest.mark.parametrize(
    "change", ["tags", "slug", "category", "cover", "cover_alt", "featured", "language", "translation_of"]
)
def test_a_reviewer_who_changed_anything_but_the_words_cannot_publish_it(editors: Editors, change: str) -> None:
    article = services.create_article(author=editors.author, content=content())
    services.update_article(
        article=article, editor=editors.reviewer, content=content(**_a_change_to(change, editors)), base_revision=1
    )
    assert article.revisions.filter(editor=editors.reviewer).exists()
    services.submit_for_review(article=article, by=editors.author)
    with pytest.raises(SelfReviewForbidden):
        services.publish_article(article=article, by=editors.reviewer)
    with pytest.raises(SelfReviewForbidden):
        services.schedule_article(article=article, by=editors.reviewer, publish_at=timezone.now() + timedelta(days=1))
    third = make_staff("third", [Role.EDITOR])
    assert services.publish_article(article=article, by=third).state == ArticleState.PUBLISHED


def test_a_change_to_the_tags_is_a_revision_that_says_what_changed(editors: Editors) -> None:
    article = services.create_article(author=editors.author, content=content())
    services.update_article(
        article=article, editor=editors.reviewer, content=content(tags=["audit"], featured=True), base_revision=1
    )
    latest = article.revisions.get(number=2)
    assert latest.editor == editors.reviewer
    assert latest.note == "Changed: tags, featured"
    # The next save must start from that revision, so it cannot silently undo the tags.
    with pytest.raises(EditConflict):
        services.update_article(article=article, editor=editors.author, content=content(), base_revision=1)


def test_the_database_refuses_a_publisher_who_is_the_author(editors: Editors) -> None:
    article = _in_review(editors)
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(
            state=ArticleState.PUBLISHED, publisher=editors.author, published_at=timezone.now()
        )


def test_only_editors_write_or_publish(editors: Editors) -> None:
    handler = make_staff("handler", [Role.HANDLER])
    with pytest.raises(NotAnEditor):
        services.create_article(author=handler, content=content())
    article = _in_review(editors)
    with pytest.raises(NotAnEditor):
        services.publish_article(article=article, by=handler)


def test_only_a_draft_can_be_edited(editors: Editors) -> None:
    article = _in_review(editors)
    with pytest.raises(WrongState):
        services.update_article(article=article, editor=editors.author, content=content(), base_revision=1)


def test_a_published_article_cannot_be_published_again(editors: Editors) -> None:
    article = publish(editors)
    with pytest.raises(WrongState):
        services.publish_article(article=article, by=editors.reviewer)


def test_every_change_is_kept_as_a_revision_and_can_be_compared(editors: Editors) -> None:
    article = services.create_article(author=editors.author, content=content(body="Line one.\n\nLine two."))
    services.update_article(
        article=article, editor=editors.author, content=content(body="Line one.\n\nLine 2."), base_revision=1
    )
    # Saving without a change adds no revision.
    services.update_article(
        article=article, editor=editors.author, content=content(body="Line one.\n\nLine 2."), base_revision=2
    )
    revisions = list(article.revisions.order_by("number"))
    assert [r.number for r in revisions] == [1, 2]
    text = next(d for d in compare(revisions[0], revisions[1]) if d.label == "Text")
    assert text.changed
    assert ("removed", "Line two.") in [(line.kind, line.text) for line in text.lines]
    assert ("added", "Line 2.") in [(line.kind, line.text) for line in text.lines]


def test_a_save_based_on_an_old_revision_is_refused(editors: Editors) -> None:
    article = services.create_article(author=editors.author, content=content())
    services.update_article(article=article, editor=editors.reviewer, content=content(body="Mine."), base_revision=1)
    with pytest.raises(EditConflict):
        services.update_article(
            article=article, editor=editors.author, content=content(body="Theirs."), base_revision=1
        )
    article.refresh_from_db()
    assert article.body == "Mine."


def test_a_typical_case_needs_its_structured_fields(editors: Editors) -> None:
    with pytest.raises(MissingCaseFields) as missing:
        services.create_article(author=editors.author, content=content(category=category("typical-cases")))
    assert "What happened" in missing.value.user_message()
    article = services.create_article(
        author=editors.author, content=content(category=category("typical-cases"), case_fields=CASE)
    )
    assert [heading for heading, _ in article.case_sections()] == [
        "What happened", "How it was noticed", "What the law says", "How to report something similar",
    ]  # fmt: skip


def test_malicious_markdown_is_refused_with_the_reasons(editors: Editors) -> None:
    with pytest.raises(InvalidMarkdown) as refused:
        services.create_article(
            author=editors.author,
            content=content(body="[x](javascript:alert(1)) ![](image:1) ![t](https://x.example/a.png)"),
        )
    assert len(refused.value.problems) == 3
    assert Article.objects.count() == 0


def test_script_in_an_article_never_reaches_the_stored_html(editors: Editors) -> None:
    article = services.create_article(
        author=editors.author, content=content(body='Hi <script>alert(1)</script><b onclick="x()">b</b>')
    )
    assert "<script" not in article.body_html
    assert "onclick" not in article.body_html


def test_a_chosen_address_already_in_use_is_refused(editors: Editors) -> None:
    services.create_article(author=editors.author, content=content(slug="audit"))
    with pytest.raises(SlugTaken):
        services.create_article(author=editors.author, content=content(slug="audit"))
    # A title already used gives a numbered address instead.
    services.create_article(author=editors.author, content=content())
    second = services.create_article(author=editors.author, content=content())
    assert second.slug == "council-audit-finds-missing-funds-2"


def test_a_chinese_title_makes_a_chinese_address(editors: Editors) -> None:
    article = services.create_article(author=editors.author, content=content(title="年度报告", language="zh-hans"))
    assert article.slug == "年度报告"
    assert article.get_absolute_url() == "/zh-hans/articles/年度报告/"


def test_a_reviewer_can_send_an_article_back_with_a_note(editors: Editors) -> None:
    article = _in_review(editors)
    article = services.return_to_draft(article=article, by=editors.reviewer, note="Cite the act, please.")
    assert article.state == ArticleState.DRAFT
    assert article.review_note == "Cite the act, please."


def test_archive_and_restore(editors: Editors) -> None:
    article = publish(editors)
    assert services.archive_article(article=article, by=editors.author).state == ArticleState.ARCHIVED
    restored = services.restore_article(article=article, by=editors.author)
    assert restored.state == ArticleState.DRAFT
    assert restored.publisher is None


def test_scheduling_in_the_past_is_refused(editors: Editors) -> None:
    article = _in_review(editors)
    with pytest.raises(ScheduleInPast):
        services.schedule_article(
            article=article, by=editors.reviewer, publish_at=timezone.now() - timedelta(minutes=1)
        )


def test_a_scheduled_article_goes_live_through_the_job_runner(editors: Editors) -> None:
    article = _in_review(editors)
    services.schedule_article(article=article, by=editors.reviewer, publish_at=timezone.now() + timedelta(seconds=1))
    run_jobs()
    article.refresh_from_db()
    assert article.state == ArticleState.SCHEDULED  # not yet
    time.sleep(1.1)
    run_jobs()
    article.refresh_from_db()
    assert article.state == ArticleState.PUBLISHED
    assert article.publisher == editors.reviewer


def test_a_rescheduled_article_waits_for_its_new_time(editors: Editors) -> None:
    article = _in_review(editors)
    services.schedule_article(article=article, by=editors.reviewer, publish_at=timezone.now() + timedelta(seconds=1))
    services.schedule_article(article=article, by=editors.reviewer, publish_at=timezone.now() + timedelta(days=1))
    time.sleep(1.1)
    run_jobs()
    article.refresh_from_db()
    assert article.state == ArticleState.SCHEDULED


def test_a_schedule_sent_back_to_draft_never_goes_live(editors: Editors) -> None:
    article = _in_review(editors)
    services.schedule_article(article=article, by=editors.reviewer, publish_at=timezone.now() + timedelta(seconds=1))
    services.return_to_draft(article=article, by=editors.reviewer)
    time.sleep(1.1)
    run_jobs()
    article.refresh_from_db()
    assert article.state == ArticleState.DRAFT


def test_the_periodic_sweep_publishes_what_is_due(editors: Editors) -> None:
    article = _in_review(editors)
    services.schedule_article(article=article, by=editors.reviewer, publish_at=timezone.now() + timedelta(hours=1))
    assert services.publish_due_articles(now=timezone.now() + timedelta(hours=2)) == 1
    article.refresh_from_db()
    assert article.state == ArticleState.PUBLISHED
