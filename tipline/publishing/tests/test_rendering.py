"""Malicious Markdown and HTML is neutralised; images need a text alternative and must be ours."""

from __future__ import annotations

import pytest

from tipline.publishing.models import Image
from tipline.publishing.rendering import plain_text, render_markdown


def _image(pk: int = 7) -> Image:
    return Image(
        pk=pk, digest="d" * 64, alt_text="x", file_name="a" * 24 + ".jpg", width=800, height=600,
        thumb_name="a" * 24 + "-640.jpg", thumb_width=640, thumb_height=480,
    )  # fmt: skip


def _render(text: str) -> str:
    return render_markdown(text, lookup=lambda ids: {7: _image()} if 7 in ids else {}).html


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
        '<img src="/media/publishing/x.jpg" onerror="alert(1)" alt="a">',
        '<a href="/x" onclick="alert(1)">x</a>',
        '<p onmouseover="alert(1)">hover</p>',
        "<iframe src=https://evil.example></iframe>",
        "<object data=x></object><embed src=x>",
        '<svg onload="alert(1)"><circle/></svg>',
        "<style>body{display:none}</style>",
        '<div style="background:url(javascript:alert(1))">x</div>',
        '<form action="https://evil.example"><input name=p></form>',
        '<meta http-equiv="refresh" content="0;url=https://evil.example">',
        '<base href="https://evil.example/">',
        "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
        "<!-- <script>alert(1)</script> -->",
    ],
)
def test_html_that_could_run_code_is_removed(attack: str) -> None:
    html = _render(f"Before {attack} after").lower()
    needles = "<script onerror onclick onmouseover onload <iframe <object <embed <style style= <form <input <meta"
    for needle in [*needles.split(), "<base", "javascript:", "<svg", "<math"]:
        assert needle not in html
    assert "before" in html


@pytest.mark.parametrize(
    "link",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[click](vbscript:msgbox(1))",
        '<a href="javascript:alert(1)">click</a>',
        '<a href="data:text/html,<script>alert(1)</script>">click</a>',
        '<a href="&#106;avascript:alert(1)">click</a>',
        '<a href=" javascript:alert(1)">click</a>',
    ],
)
def test_javascript_and_data_links_lose_their_target(link: str) -> None:
    html = _render(link).lower()
    assert "javascript" not in html
    assert "data:" not in html
    assert "vbscript" not in html
    assert "click" in html


def test_ordinary_links_survive_and_get_a_safe_rel() -> None:
    html = _render("[law](https://laws.example.gov/act) and [us](/about/) and [mail](mailto:press@example.org)")
    assert 'href="https://laws.example.gov/act"' in html
    assert 'href="/about/"' in html
    assert 'href="mailto:press@example.org"' in html
    assert 'rel="noopener noreferrer"' in html


def test_data_and_foreign_images_are_refused_with_a_reason() -> None:
    for source in ("data:image/png;base64,iVBORw0KGgo=", "https://tracker.example/pixel.gif", "//evil.example/a.png"):
        rendered = render_markdown(f"![A chart]({source})", lookup=lambda ids: {})
        assert rendered.problems, source
        assert "<img" not in rendered.html


def test_an_image_without_a_text_alternative_is_refused() -> None:
    rendered = render_markdown("![](image:7)", lookup=lambda ids: {7: _image()})
    assert any("text alternative" in problem for problem in rendered.problems)


def test_a_raw_html_image_without_alt_is_refused_too() -> None:
    rendered = render_markdown('<img src="/media/publishing/abc.jpg">', lookup=lambda ids: {})
    assert rendered.problems


def test_an_image_reference_becomes_our_image_with_its_size() -> None:
    rendered = render_markdown("![Signed form](image:7)", lookup=lambda ids: {7: _image()})
    assert rendered.problems == []
    assert f'src="/media/publishing/{"a" * 24}.jpg"' in rendered.html
    assert 'alt="Signed form"' in rendered.html
    assert 'width="800"' in rendered.html
    assert rendered.image_ids == {7}


def test_an_unknown_image_reference_is_refused() -> None:
    rendered = render_markdown("![Chart](image:999)", lookup=lambda ids: {})
    assert any("does not exist" in problem for problem in rendered.problems)


def test_headings_start_below_the_page_title() -> None:
    html = _render("# Big\n\n## Smaller\n\n###### Smallest")
    assert "<h1" not in html
    assert "<h2>Big</h2>" in html
    assert "<h3>Smaller</h3>" in html
    assert "<h6>Smallest</h6>" in html


def test_table_alignment_uses_classes_not_inline_styles() -> None:
    html = _render("| a | b |\n|--:|:-:|\n| 1 | 2 |")
    assert "style=" not in html
    assert 'class="align-right"' in html
    assert 'class="align-center"' in html


def test_unknown_classes_and_ids_are_dropped() -> None:
    html = _render('<p class="evil" id="main">x</p><td class="align-right evil">y</td>')
    assert "evil" not in html
    assert 'id="main"' not in html


def test_plain_text_strips_tags_and_decodes_entities() -> None:
    assert plain_text("<p>Fish &amp; chips <strong>now</strong></p>") == "Fish & chips now"
