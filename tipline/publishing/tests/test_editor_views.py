"""The editors' pages: the same workflow through forms, with CSRF and roles enforced."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tipline.accounts.models import Role
from tipline.conftest import csrf_token
from tipline.publishing import services
from tipline.publishing.models import Article, ArticleState
from tipline.publishing.tests.conftest import Editors, category, content, login, make_staff


def _form(token: str, **overrides: Any) -> dict[str, Any]:
    data = {
        "csrfmiddlewaretoken": token,
        "title": "Budget hearing announced",
        "language": "en",
        "category": str(category().pk),
        "summary": "The council will hear the budget in public.",
        "body": "Come and **listen**.",
        "tags": "budget, council",
    }
    data.update(overrides)
    return data


@pytest.fixture
def author(editors: Editors) -> Client:
    return login(Client(enforce_csrf_checks=True), editors.author)


@pytest.fixture
def reviewer(editors: Editors) -> Client:
    return login(Client(enforce_csrf_checks=True), editors.reviewer)


def test_anonymous_visitors_are_sent_to_the_staff_log_in(db: None, client: Client) -> None:
    response = client.get("/editor/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_staff_without_the_editor_role_are_refused(db: None) -> None:
    handler = make_staff("handler", [Role.HANDLER])
    staff = login(Client(enforce_csrf_checks=True), handler)
    response = staff.get("/editor/")
    assert response.status_code == 403
    assert "Only editors" in response.content.decode()


def test_an_editor_writes_a_draft_through_the_form(author: Client) -> None:
    token = csrf_token(author, "/editor/articles/new/")
    response = author.post("/editor/articles/new/", _form(token))
    assert response.status_code == 302
    article = Article.objects.get()
    assert response["Location"] == f"/editor/articles/{article.pk}/"
    page = author.get(response["Location"]).content.decode()
    assert "<strong>listen</strong>" in page
    assert "Send for review" in page


def test_the_form_refuses_a_post_without_csrf(editors: Editors, author: Client) -> None:
    response = author.post("/editor/articles/new/", _form("forged"))
    assert response.status_code == 403
    assert not Article.objects.exists()


def test_malicious_markdown_is_explained_on_the_form(author: Client) -> None:
    token = csrf_token(author, "/editor/articles/new/")
    response = author.post("/editor/articles/new/", _form(token, body="![](image:5) [x](javascript:alert(1))"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "text alternative" in page
    assert "Links may go to web pages" in page
    assert not Article.objects.exists()


def test_a_typical_case_form_asks_for_its_fields(author: Client) -> None:
    token = csrf_token(author, "/editor/articles/new/")
    response = author.post("/editor/articles/new/", _form(token, category=str(category("typical-cases").pk)))
    assert response.status_code == 400
    assert "A typical case needs every structured field" in response.content.decode()


def test_the_author_is_refused_at_publication_with_a_403(editors: Editors, author: Client) -> None:
    article = services.create_article(author=editors.author, content=content())
    services.submit_for_review(article=article, by=editors.author)
    url = f"/editor/articles/{article.pk}/"
    page = author.get(url).content.decode()
    assert "another editor must review and publish it" in page
    assert "Publish now" not in page
    response = author.post(f"{url}review/", {"csrfmiddlewaretoken": csrf_token(author, url), "action": "publish"})
    assert response.status_code == 403
    assert "another editor must review and publish it" in response.content.decode()
    article.refresh_from_db()
    assert article.state == ArticleState.IN_REVIEW


def test_a_reviewer_publishes_and_schedules_through_the_page(editors: Editors, reviewer: Client) -> None:
    first = services.create_article(author=editors.author, content=content())
    second = services.create_article(author=editors.author, content=content(title="Later"))
    for article in (first, second):
        services.submit_for_review(article=article, by=editors.author)
    url = f"/editor/articles/{first.pk}/"
    response = reviewer.post(f"{url}review/", {"csrfmiddlewaretoken": csrf_token(reviewer, url), "action": "publish"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.state == ArticleState.PUBLISHED
    url = f"/editor/articles/{second.pk}/"
    when = timezone.localtime() + timezone.timedelta(days=2)
    data = {
        "csrfmiddlewaretoken": csrf_token(reviewer, url),
        "action": "schedule",
        "publish_at": when.strftime("%Y-%m-%dT%H:%M"),
    }
    assert reviewer.post(f"{url}review/", data).status_code == 302
    second.refresh_from_db()
    assert second.state == ArticleState.SCHEDULED


def test_scheduling_in_the_past_is_explained(editors: Editors, reviewer: Client) -> None:
    article = services.create_article(author=editors.author, content=content())
    services.submit_for_review(article=article, by=editors.author)
    url = f"/editor/articles/{article.pk}/"
    data = {"csrfmiddlewaretoken": csrf_token(reviewer, url), "action": "schedule", "publish_at": "2001-01-01T10:00"}
    response = reviewer.post(f"{url}review/", data)
    assert response.status_code == 400
    assert "Choose a time in the future" in response.content.decode()


def test_editing_keeps_revisions_that_can_be_compared(editors: Editors, author: Client) -> None:
    article = services.create_article(author=editors.author, content=content(body="First words."))
    url = f"/editor/articles/{article.pk}/edit/"
    token = csrf_token(author, url)
    data = _form(token, title=article.title, body="Second words.", base_revision="1", note="Reworded")
    assert author.post(url, data).status_code == 302
    page = author.get(f"/editor/articles/{article.pk}/revisions/?from=1&to=2").content.decode()
    assert "First words." in page
    assert "Second words." in page
    assert "diff-removed" in page
    assert "diff-added" in page


def test_a_stale_edit_is_refused_not_lost(editors: Editors, author: Client) -> None:
    article = services.create_article(author=editors.author, content=content())
    services.update_article(article=article, editor=editors.reviewer, content=content(body="Theirs."), base_revision=1)
    url = f"/editor/articles/{article.pk}/edit/"
    response = author.post(url, _form(csrf_token(author, url), body="Mine.", base_revision="1"))
    assert response.status_code == 409
    assert "Someone saved this article after you opened it" in response.content.decode()
    article.refresh_from_db()
    assert article.body == "Theirs."


@pytest.mark.parametrize(
    "page", ["/editor/articles/999/", "/editor/articles/999/edit/", "/editor/articles/999/revisions/"]
)
def test_an_unknown_article_is_a_404(author: Client, page: str) -> None:
    assert author.get(page).status_code == 404


def test_the_profile_form_sets_the_badge(author: Client) -> None:
    token = csrf_token(author, "/editor/profile/")
    data = {"csrfmiddlewaretoken": token, "verified_domain": "Office.Example.GOV", "verified_since": "2024-03-01"}
    for suffix, name in (("en", "Integrity Office"), ("zh_hans", "廉政办公室")):
        data |= {f"name_{suffix}": name, f"short_name_{suffix}": "IO", f"verified_by_{suffix}": "Registry",
                 f"introduction_{suffix}": "We *watch*.", f"contact_{suffix}": "Here."}  # fmt: skip
    assert author.post("/editor/profile/", data).status_code == 302
    page = Client().get("/zh-hans/").content.decode()
    badge = page[page.index('class="verified-badge"') :]
    badge = badge[: badge.index("</div>")]
    assert "廉政办公室" in badge
    assert "office.example.gov" in badge
    assert 'href="/zh-hans/about/#verification"' in badge


def test_after_a_save_the_editor_is_told_what_the_sanitiser_removed(author: Client) -> None:
    token = csrf_token(author, "/editor/articles/new/")
    body = 'Read <a href="javascript:alert(1)">this</a>. <img src="https://tracker.example/p.gif" alt="A pixel">'
    response = author.post("/editor/articles/new/", _form(token, body=body))
    assert response.status_code == 302
    page = author.get(response["Location"]).content.decode()
    notice = page[page.index('id="removed-title"') : page.index('aria-labelledby="preview-title"')]
    assert "javascript:alert(1)" in notice
    assert "https://tracker.example/p.gif" in notice
    assert "javascript:" not in page[page.index('class="preview-box"') :]


def test_an_article_without_forbidden_html_shows_no_removal_notice(author: Client) -> None:
    token = csrf_token(author, "/editor/articles/new/")
    response = author.post("/editor/articles/new/", _form(token, body='See <a href="/about/">us</a>.'))
    assert 'id="removed-title"' not in author.get(response["Location"]).content.decode()


def test_the_profile_page_tells_the_editor_what_the_sanitiser_removed(author: Client) -> None:
    token = csrf_token(author, "/editor/profile/")
    data = {"csrfmiddlewaretoken": token, "verified_domain": "office.example.gov", "verified_since": ""}
    for suffix in ("en", "zh_hans"):
        data |= {f"name_{suffix}": "Office", f"short_name_{suffix}": "O", f"verified_by_{suffix}": "",
                 f"introduction_{suffix}": 'We <b onclick="x()">watch</b>.', f"contact_{suffix}": "Here."}  # fmt: skip
    response = author.post("/editor/profile/", data)
    assert response.status_code == 302
    page = author.get(response["Location"]).content.decode()
    assert 'id="removed-title"' in page
    assert "the event handler onclick on &lt;b&gt;" in page


@pytest.mark.parametrize("field", ["category", "cover", "translation_of"])
@pytest.mark.parametrize("number", ["1" * 25, "-" + "1" * 25, "9223372036854775808"])
def test_an_article_form_choice_out_of_any_range_is_refused_with_a_message(
    author: Client, field: str, number: str
) -> None:
    token = csrf_token(author, "/editor/articles/new/")
    response = author.post("/editor/articles/new/", _form(token, **{field: number}))
    assert response.status_code == 400
    messages = {
        "category": "Choose a category from the list.",
        "cover": "Choose an image from the image library.",
        "translation_of": "Choose an article from the list.",
    }
    assert messages[field] in response.content.decode()
    assert not Article.objects.exists()


def test_a_profile_logo_out_of_any_range_is_refused_with_a_message(author: Client) -> None:
    token = csrf_token(author, "/editor/profile/")
    data = {"csrfmiddlewaretoken": token, "verified_domain": "", "verified_since": "", "logo": "1" * 25}
    for suffix in ("en", "zh_hans"):
        data |= {f"name_{suffix}": "Office", f"short_name_{suffix}": "O", f"verified_by_{suffix}": "",
                 f"introduction_{suffix}": "We watch.", f"contact_{suffix}": "Here."}  # fmt: skip
    response = author.post("/editor/profile/", data)
    assert response.status_code == 400
    assert "Choose an image from the image library." in response.content.decode()
