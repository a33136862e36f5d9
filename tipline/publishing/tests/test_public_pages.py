"""The public pages: every page in both languages, 404 for unknown addresses, no JavaScript needed."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils.encoding import iri_to_uri

from tipline.accounts.testing import login_staff
from tipline.conftest import PASSWORD, Setup, csrf_token
from tipline.publishing import services
from tipline.publishing.models import ArticleState
from tipline.publishing.tests.conftest import CASE, Editors, category, content, publish
from tipline.register import services as register
from tipline.register.models import Channel, ChannelKind, FieldType, Question


class _Page(HTMLParser):
    """What an accessibility review looks at first."""

    def __init__(self) -> None:
        super().__init__()
        self.h1 = 0
        self.scripts = 0
        self.inline_styles = 0
        self.images_without_alt = 0
        self.links: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.h1 += tag == "h1"
        self.scripts += tag == "script"
        self.inline_styles += "style" in values or tag == "style"
        self.images_without_alt += tag == "img" and "alt" not in values
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))
        if values.get("id"):
            self.ids.append(str(values["id"]))


def _page(client: Client, url: str, status: int = 200) -> tuple[str, _Page]:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    html = response.content.decode()
    page = _Page()
    page.feed(html)
    return html, page


@pytest.fixture
def site(editors: Editors) -> dict[str, str]:
    """A small published site: an English article, its Chinese translation, and a typical case."""
    profile_words = services.ProfileWords(
        name="Test Office", short_name="TO", introduction="We *watch*.", contact="Here."
    )
    services.update_profile(
        by=editors.author,
        verified_domain="Office.Example.gov",
        verified_since=None,
        logo=None,
        words={
            "en": profile_words,
            "zh-hans": services.ProfileWords(
                name="测试办公室", short_name="测试", introduction="我们监督。", contact="这里。"
            ),
        },
    )
    english = publish(editors, featured=True)
    chinese = publish(editors, title="审计发现资金缺口", language="zh-hans", tags=["审计"], translation_of=english)
    case = publish(editors, title="A split contract", category=category("typical-cases"), case_fields=CASE)
    return {"en": english.get_absolute_url(), "zh": chinese.get_absolute_url(), "case": case.get_absolute_url()}


PUBLIC = [
    "/", "/zh-hans/", "/category/news/", "/zh-hans/category/news/", "/tags/audit/", "/about/", "/zh-hans/about/",
    "/how-to-report/", "/zh-hans/how-to-report/", "/archive/", "/zh-hans/archive/", "/search/", "/search/?q=audit",
]  # fmt: skip


@pytest.mark.parametrize("url", PUBLIC)
def test_every_public_page_is_accessible_without_javascript(site: dict[str, str], client: Client, url: str) -> None:
    html, page = _page(client, url)
    assert page.h1 == 1
    assert page.scripts == 0
    assert page.inline_styles == 0
    assert page.images_without_alt == 0
    assert len(page.ids) == len(set(page.ids)), "ids are unique"
    assert 'class="skip-link" href="#main"' in html
    assert 'id="main"' in html
    assert 'class="verified-badge"' in html
    assert "office.example.gov" in html
    assert '<link rel="canonical" href="https://tips.example.org' in html
    assert 'property="og:title"' in html


def test_the_html_language_follows_the_address(site: dict[str, str], client: Client) -> None:
    english, _ = _page(client, "/")
    chinese, _ = _page(client, "/zh-hans/")
    assert '<html lang="en">' in english
    assert '<html lang="zh-Hans">' in chinese
    assert client.get("/zh-hans/")["Content-Language"] == "zh-hans"


def test_the_byline_reads_naturally_in_each_language(site: dict[str, str], client: Client) -> None:
    assert 'class="byline">Published <time' in _page(client, site["en"])[0]
    assert 'class="byline">发布于 <time' in _page(client, site["zh"])[0], "the byline is not the state label 已发布"


def test_the_language_switch_is_a_link_to_the_same_page(site: dict[str, str], client: Client) -> None:
    html, _ = _page(client, "/category/news/")
    assert '<a href="/zh-hans/category/news/" hreflang="zh-Hans" lang="zh-Hans">简体中文</a>' in html
    html, _ = _page(client, site["en"])
    assert f'href="{site["zh"]}" hreflang="zh-Hans"' in html
    assert (
        f'<link rel="alternate" hreflang="zh-Hans" href="{iri_to_uri("https://tips.example.org" + site["zh"])}">'
        in html
    )


def test_the_home_page_shows_featured_and_latest(site: dict[str, str], client: Client) -> None:
    html, _ = _page(client, "/")
    assert "Featured" in html
    assert "Council audit finds missing funds" in html
    assert "A split contract" in html
    assert "审计发现资金缺口" not in html  # Chinese articles are on the Chinese pages
    assert "审计发现资金缺口" in _page(client, "/zh-hans/")[0]


def test_an_article_page_has_open_graph_and_the_report_link(site: dict[str, str], client: Client) -> None:
    html, page = _page(client, site["en"])
    assert '<meta property="og:type" content="article">' in html
    assert f'<meta property="og:url" content="https://tips.example.org{site["en"]}">' in html
    assert 'property="article:published_time"' in html
    assert "/language/en/?next=%2Freport%2F" in page.links


def test_a_typical_case_shows_its_structured_sections(site: dict[str, str], client: Client) -> None:
    html, _ = _page(client, site["case"])
    for heading in ("What happened", "How it was noticed", "What the law says", "How to report something similar"):
        assert f"<h2>{heading}</h2>" in html
    assert "A colleague saw the invoices." in html


def test_an_article_in_another_language_address_redirects_to_its_own(site: dict[str, str], client: Client) -> None:
    response = client.get("/zh-hans" + site["en"])
    assert response.status_code == 301
    assert response["Location"] == site["en"]


@pytest.mark.parametrize(
    "url",
    [
        "/articles/no-such-article/",
        "/zh-hans/articles/no-such-article/",
        "/category/no-such-category/",
        "/tags/no-such-tag/",
        "/feeds/no-such-category/atom.xml",
        "/page/99/",
        "/page/0/",
        "/category/news/page/7/",
        "/archive/2019/13/",
        "/archive/1066/10/",
        "/xx-yy/",
        "/fr/articles/anything/",
    ],
)
def test_an_unknown_address_is_a_404(site: dict[str, str], client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert response["Cache-Control"] == "no-store"


def test_drafts_and_articles_in_review_are_not_public(editors: Editors, client: Client) -> None:
    draft = services.create_article(author=editors.author, content=content(title="Secret draft"))
    assert client.get(draft.get_absolute_url()).status_code == 404
    services.submit_for_review(article=draft, by=editors.author)
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert "Secret draft" not in client.get("/").content.decode()


def test_an_archived_article_is_gone(site: dict[str, str], editors: Editors, client: Client) -> None:
    from tipline.publishing.models import Article

    article = Article.objects.get(state=ArticleState.PUBLISHED, slug=site["en"].rsplit("/", 2)[1])
    services.archive_article(article=article, by=editors.author)
    response = client.get(site["en"])
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()
    assert article.title not in client.get("/").content.decode()


def test_listings_are_paginated_by_path(editors: Editors, client: Client, settings: object) -> None:
    settings.TIPLINE_PUBLIC_PAGE_SIZE = 2  # type: ignore[attr-defined]
    for number in range(5):
        publish(editors, title=f"Article number {number}")
    html, page = _page(client, "/category/news/")
    assert "/category/news/page/2/" in page.links
    html, page = _page(client, "/category/news/page/3/")
    assert "Article number 0" in html
    assert "/category/news/page/2/" in page.links
    assert client.get("/category/news/page/4/").status_code == 404


def test_the_month_archive_lists_the_month(site: dict[str, str], client: Client) -> None:
    _, page = _page(client, "/archive/")
    month_link = next(link for link in page.links if re.fullmatch(r"/archive/\d{4}/\d{2}/", link))
    assert "Council audit finds missing funds" in _page(client, month_link)[0]


def test_the_profile_page_shows_the_verification(site: dict[str, str], client: Client) -> None:
    html, _ = _page(client, "/about/")
    assert 'id="verification"' in html
    assert "office.example.gov" in html
    assert "<em>watch</em>" in html


def test_the_badge_is_also_on_the_report_pages(site: dict[str, str], client: Client) -> None:
    assert "Verified official channel of Test Office" in client.get("/portal/").content.decode()


def test_how_to_report_lists_every_open_channel_with_its_own_row(site: dict[str, str], client: Client) -> None:
    online = Channel.objects.create(slug="online", name="Online form", kind=ChannelKind.WEB, description="Write to us.")
    Channel.objects.create(slug="post", name="Confidential mailbox", kind=ChannelKind.MAILBOX, email_address="a@b.org")
    hotline = Channel.objects.create(
        slug="hotline", name="Hotline", kind=ChannelKind.PHONE, phone_number="+44 20 7946 0000"
    )
    Channel.objects.create(slug="closed", name="Old form", kind=ChannelKind.WEB, is_active=False)
    Question.objects.create(channel=online, key="what", field_type=FieldType.LONG_TEXT, label="What happened?")
    for channel in (online, hotline):  # as the admin and tipline channel do
        register.publish_questionnaire(channel=channel)
    html, page = _page(client, "/how-to-report/")
    assert "channel-web" in html
    assert "channel-mailbox" in html
    assert "Confidential mailbox" in html
    assert "channel-phone" in html
    assert "Hotline" in html
    assert "Old form" not in html
    assert "/language/en/?next=%2Freport%2Fonline%2F" in page.links
    assert "Tor Browser" in html


def _row(html: str, css_class: str) -> str:
    row = html[html.index(f'class="channel-row {css_class}"') :]
    return row[: row.index("</li>")]


def test_how_to_report_gives_the_address_of_a_mailbox_channel(site: dict[str, str], client: Client) -> None:
    Channel.objects.create(
        slug="post",
        name="Confidential mailbox",
        kind=ChannelKind.MAILBOX,
        email_address="tips+report@office.example.gov",
        postal_address="Integrity Office\nPO Box 12\n1000 Capital City",
    )
    html, _ = _page(client, "/how-to-report/")
    row = _row(html, "channel-mailbox")
    assert 'href="mailto:tips%2Breport@office.example.gov"' in row
    assert ">tips+report@office.example.gov</a>" in row
    assert "<address>Integrity Office<br>PO Box 12<br>1000 Capital City</address>" in row
    assert "By e-mail, write to" in row
    assert "By post, send a letter to" in row


def test_how_to_report_gives_the_number_and_hours_of_a_phone_channel(site: dict[str, str], client: Client) -> None:
    hotline = Channel.objects.create(
        slug="hotline",
        name="Hotline",
        kind=ChannelKind.PHONE,
        phone_number="+44 (20) 7946-0000",
        hours="Monday to Friday, 9:00 to 17:00",
    )
    register.publish_questionnaire(channel=hotline)
    html, _ = _page(client, "/zh-hans/how-to-report/")
    row = _row(html, "channel-phone")
    assert '<a href="tel:+442079460000">+44 (20) 7946-0000</a>' in row
    assert "Monday to Friday, 9:00 to 17:00" in row


def test_a_mailbox_or_phone_channel_without_details_is_not_listed(site: dict[str, str], client: Client) -> None:
    Channel.objects.create(slug="post", name="Confidential mailbox", kind=ChannelKind.MAILBOX)
    register.publish_questionnaire(
        channel=Channel.objects.create(slug="hotline", name="Hotline", kind=ChannelKind.PHONE)
    )
    html, page = _page(client, "/how-to-report/")
    assert "Confidential mailbox" not in html
    assert "Hotline" not in html
    assert not [link for link in page.links if link.startswith(("mailto:", "tel:"))]


@pytest.mark.parametrize("number", ["call us", "12", "+44 20 7946 0000 ext. 5", "javascript:alert(1)"])
def test_a_channel_refuses_a_phone_number_that_is_not_one(db: None, number: str) -> None:
    channel = Channel(slug="hotline", name="Hotline", kind=ChannelKind.PHONE, phone_number=number)
    with pytest.raises(ValidationError) as refused:
        channel.full_clean()
    assert "phone_number" in refused.value.message_dict


def test_an_admin_sets_a_phone_channels_details_that_the_public_page_shows(org: Setup) -> None:
    admin = Client(enforce_csrf_checks=True)
    login_staff(admin, "admin", PASSWORD)
    url = "/admin/register/channel/add/"
    form = admin.get(url).content.decode()
    for name in ("email_address", "postal_address", "phone_number", "hours", "languages"):
        assert f'name="{name}"' in form, name
    assert "How people reach this channel" in form
    assert "Mailbox: reading mail over IMAP" in form
    data = {
        "csrfmiddlewaretoken": csrf_token(admin, url),
        "slug": "hotline",
        "kind": "phone",
        "name": "Hotline",
        "phone_number": "+44 20 7946 0000",
        "hours": "Weekdays, 9:00 to 17:00",
        "languages": "English, 中文",
        "is_active": "on",
        "ack_days": "7",
        "feedback_months": "3",
        "retention_days": "90",
        "order": "0",
        "imap_folder": "INBOX",
        "mail_reply": "ack",  # a browser always sends the select's chosen value
        "questions-TOTAL_FORMS": "0",
        "questions-INITIAL_FORMS": "0",
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": "1000",
    }
    assert admin.post(url, data).status_code == 302
    row = _row(Client().get("/how-to-report/").content.decode(), "channel-phone")
    assert '<a href="tel:+442079460000">+44 20 7946 0000</a>' in row
    assert "Weekdays, 9:00 to 17:00" in row
    assert "English, 中文" in row


def test_a_new_channel_appears_at_once_on_the_cached_page(site: dict[str, str], client: Client) -> None:
    assert "Brand-new form" not in client.get("/how-to-report/").content.decode()
    channel = Channel.objects.create(slug="new", name="Brand-new form")
    register.publish_questionnaire(channel=channel)
    assert "Brand-new form" not in client.get("/how-to-report/").content.decode()  # it asks nothing yet
    Question.objects.create(channel=channel, key="what", field_type=FieldType.LONG_TEXT, label="What happened?")
    register.publish_questionnaire(channel=channel)  # its first question opens it, on the kept page too
    assert "Brand-new form" in client.get("/how-to-report/").content.decode()


def test_the_language_link_remembers_the_choice_for_the_report_pages(db: None, client: Client) -> None:
    response = client.get("/language/zh-hans/?next=/report/")
    assert response.status_code == 302
    assert response["Location"] == "/report/"
    assert response.cookies["django_language"].value == "zh-hans"
    assert client.get("/language/zh-hans/?next=https://evil.example/")["Location"] == "/"
    assert client.get("/language/zh-hans/?next=//evil.example/")["Location"] == "/"
    assert client.get("/language/klingon/?next=/").status_code == 404


def test_robots_and_sitemap(site: dict[str, str], client: Client) -> None:
    robots = client.get("/robots.txt").content.decode()
    assert "Disallow: /editor/" in robots
    assert "Sitemap: https://tips.example.org/sitemap.xml" in robots
    sitemap = client.get("/sitemap.xml")
    assert sitemap["Content-Type"].startswith("application/xml")
    body = sitemap.content.decode()
    assert f"<loc>https://tips.example.org{site['en']}</loc>" in body
    assert 'hreflang="zh-Hans"' in body


def test_a_missing_page_answers_in_the_language_of_its_address(site: dict[str, str], client: Client) -> None:
    response = client.get("/zh-hans/articles/no-such-article/")
    assert response.status_code == 404
    assert '<html lang="zh-Hans">' in response.content.decode()
    assert response["Content-Language"] == "zh-hans"


def test_the_page_language_does_not_leak_into_the_next_request(site: dict[str, str], client: Client) -> None:
    from django.utils import translation

    before = translation.get_language()
    client.get("/zh-hans/")
    assert translation.get_language() == before
    assert '<html lang="en">' in client.get("/portal/").content.decode()
