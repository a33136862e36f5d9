"""``tipline export-site DIR``: the whole public channel as static files, links intact."""

from __future__ import annotations

import io
import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import pytest
from django.core.management import CommandError, call_command

from tipline.publishing import services
from tipline.publishing.export import export_site
from tipline.publishing.tests.conftest import CASE, Editors, category, png_bytes, publish


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.links += [value for name, value in attrs if name in {"href", "src"} and value]


@pytest.fixture
def site(editors: Editors) -> None:
    image = services.upload_image(upload=io.BytesIO(png_bytes()), alt_text="A chart", by=editors.author)
    words = services.ProfileWords(name="Office", short_name="O", introduction="Intro", contact="Contact")
    services.update_profile(
        by=editors.author, verified_domain="o.example", verified_since=None, logo=image, words={"en": words}
    )
    english = publish(editors, body=f"![A chart](image:{image.pk})", cover=image, tags=["audit"])
    publish(editors, title="审计发现问题", language="zh-hans", tags=["审计"], translation_of=english)
    publish(editors, title="A case", category=category("typical-cases"), case_fields=CASE)


def _file_for(root: Path, path: str) -> Path:
    path = unquote(path)
    return root / path.lstrip("/") / "index.html" if path.endswith("/") else root / path.lstrip("/")


def test_the_export_holds_every_page_feed_and_image(site: None, tmp_path: Path) -> None:
    result = export_site(
        directory=tmp_path / "out", base_url="https://static.example.org", live_url="https://tips.example.org"
    )
    root = tmp_path / "out"
    assert result.broken == []
    expected = [
        "index.html", "zh-hans/index.html", "about/index.html", "how-to-report/index.html", "archive/index.html",
        "category/news/index.html", "tags/audit/index.html", "articles/council-audit-finds-missing-funds/index.html",
        "feeds/atom.xml", "feeds/rss.xml", "feeds/feed.json", "zh-hans/feeds/atom.xml", "feeds/typical-cases/atom.xml",
        "sitemap.xml", "robots.txt", "404.html", "static/publishing/publishing.css", "zh-hans/tags/审计/index.html",
    ]  # fmt: skip
    for path in expected:
        assert (root / path).is_file(), path
    assert any((root / "media/publishing").glob("*-640.jpg"))


def test_every_local_link_in_the_export_resolves_to_a_file(site: None, tmp_path: Path) -> None:
    export_site(directory=tmp_path / "out", live_url="https://tips.example.org")
    root = tmp_path / "out"
    checked = 0
    for page in root.rglob("*.html"):
        parser = _Links()
        parser.feed(page.read_text())
        for link in parser.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            assert _file_for(root, parts.path).is_file(), f"{link} on {page}"
            checked += 1
    assert checked > 100


def test_report_links_point_to_the_live_instance(site: None, tmp_path: Path) -> None:
    export_site(directory=tmp_path / "out", base_url="https://static.example.org", live_url="https://tips.example.org")
    home = (tmp_path / "out/index.html").read_text()
    assert 'href="https://tips.example.org/language/en/?next=%2Freport%2F"' in home
    assert 'href="https://tips.example.org/search/"' in home
    assert 'href="https://tips.example.org/subscribe/"' in home
    assert '<link rel="canonical" href="https://static.example.org/">' in home
    how = (tmp_path / "out/how-to-report/index.html").read_text()
    assert "https://tips.example.org/language/en/" in how


def test_the_exported_feeds_are_valid_and_absolute(site: None, tmp_path: Path) -> None:
    export_site(directory=tmp_path / "out", base_url="https://static.example.org", live_url="https://tips.example.org")
    parsed = feedparser.parse((tmp_path / "out/feeds/atom.xml").read_bytes())
    assert not parsed.bozo
    assert parsed.entries[0].link.startswith("https://static.example.org/articles/")
    document = json.loads((tmp_path / "out/feeds/feed.json").read_text())
    assert document["feed_url"] == "https://static.example.org/feeds/feed.json"
    assert "https://static.example.org/articles/" in (tmp_path / "out/sitemap.xml").read_text()


def test_an_export_replaces_the_previous_one(site: None, editors: Editors, tmp_path: Path) -> None:
    export_site(directory=tmp_path / "out")
    publish(editors, title="Published after the first export")
    export_site(directory=tmp_path / "out")
    assert "Published after the first export" in (tmp_path / "out/index.html").read_text()


def test_the_export_refuses_to_overwrite_a_folder_that_is_not_an_export(site: None, tmp_path: Path) -> None:
    folder = tmp_path / "precious"
    folder.mkdir()
    (folder / "thesis.txt").write_text("do not delete")
    with pytest.raises(CommandError):
        call_command("export-site", str(folder))
    assert (folder / "thesis.txt").read_text() == "do not delete"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary folder is left behind"


def test_the_command_reports_what_it_wrote(site: None, tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("export-site", str(tmp_path / "out"), "--base-url", "https://cdn.example.org", stdout=out)
    assert "Exported" in out.getvalue()
    assert (tmp_path / "out/.tipline-export").exists()
