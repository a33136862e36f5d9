"""Full-text search in English and Chinese that never fails, whatever it is given."""

from __future__ import annotations

import pytest
from django.test import Client

from tipline.publishing.search import index_text, query_words
from tipline.publishing.tests.conftest import Editors, publish


@pytest.fixture
def articles(editors: Editors) -> None:
    publish(editors, title="Procurement fraud in road repairs", body="Contracts were split to avoid tenders.")
    publish(editors, title="Whistleblower protection explained", body="Reporting in good faith is protected.")
    publish(editors, title="举报人保护制度解读", language="zh-hans", body="善意举报受法律保护。任何单位不得打击报复。")
    publish(editors, title="政府采购领域腐败典型案例", language="zh-hans", body="拆分合同规避公开招标。")


def _titles(client: Client, query: str, url: str = "/search/") -> str:
    response = client.get(url, {"q": query})
    assert response.status_code == 200
    return response.content.decode()


def test_english_words_are_found_by_prefix(articles: None, client: Client) -> None:
    page = _titles(client, "tender")
    assert "Procurement fraud in road repairs" in page
    assert "Whistleblower protection" not in page
    assert "Procurement fraud" in _titles(client, "CONTRACT")  # case and plural


def test_every_word_must_match(articles: None, client: Client) -> None:
    assert "Procurement" not in _titles(client, "tenders whistleblower")
    assert "Procurement" in _titles(client, "tenders road")


def test_chinese_is_found_without_spaces(articles: None, client: Client) -> None:
    page = _titles(client, "打击报复")
    assert "举报人保护制度解读" in page
    assert "政府采购领域腐败典型案例" not in page
    assert "政府采购领域腐败典型案例" in _titles(client, "招标腐败")  # two words, no space, any order


def test_chinese_text_is_found_from_the_english_pages_and_back(articles: None, client: Client) -> None:
    assert "举报人保护制度解读" in _titles(client, "举报人")
    assert "Whistleblower protection explained" in _titles(client, "whistleblower", "/zh-hans/search/")


def test_the_index_cuts_chinese_into_words() -> None:
    text = index_text("政府采购领域腐败典型案例")
    assert " 政府 " in text or " 政府采购 " in text
    assert " 腐败 " in text
    assert query_words("举报腐败") == ["举报", "腐败"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "x" * 10_000,
        "腐" * 10_000,
        "' OR 1=1 --",
        "'; DROP TABLE publishing_article; --",
        '" OR ""="',
        "%",
        "_",
        "\\",
        "%%%_\\%",
        "fraud AND NOT tender OR (road*)",
        '"exact phrase" -minus +plus ~tilde',
        "title:fraud",
        "a & b | !c <-> d",
        "NEAR(road repairs, 3)",
        "\x00",
        "road\x00repairs",
        "🚨" * 300,
        "<script>alert(1)</script>",
        "../../etc/passwd",
        " ".join(["word"] * 2000),
    ],
)
def test_odd_input_never_fails(articles: None, client: Client, query: str) -> None:
    response = client.get("/search/", {"q": query, "page": "1"})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()


@pytest.mark.parametrize("page", ["", "0", "-1", "999", "abc", "1e9", "99999999999999999999"])
def test_odd_page_numbers_never_fail(articles: None, client: Client, page: str) -> None:
    assert client.get("/search/", {"q": "protection", "page": page}).status_code == 200


def test_a_query_string_that_is_not_utf8_never_fails(articles: None, client: Client) -> None:
    assert client.get("/search/?q=%FF%FE%00&page=%FF").status_code == 200
    assert client.get("/search/?q=%ED%A0%80%C0%AF").status_code == 200  # a lone surrogate, an overlong slash


def test_the_query_is_echoed_escaped(articles: None, client: Client) -> None:
    page = _titles(client, '"><img src=x onerror=alert(1)>')
    assert "onerror=alert(1)>" not in page
    assert "&quot;&gt;&lt;img" in page


def test_search_results_are_paginated(editors: Editors, client: Client, settings: object) -> None:
    settings.TIPLINE_PUBLIC_PAGE_SIZE = 2  # type: ignore[attr-defined]
    for number in range(5):
        publish(editors, title=f"Audit report {number}")
    page = _titles(client, "audit")
    assert "5 articles found." in page
    assert "page=2" in page
