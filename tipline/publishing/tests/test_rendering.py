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


TRAVERSALS = [
    "/media/publishing/../../console/export.csv",
    "/media/publishing/%2e%2e/%2e%2e/console/export.csv",
    "/media/publishing/%2E%2E%2F%2E%2E%2Fconsole%2Fexport.csv",
    "/media/publishing/..%2f..%2fconsole/export.csv",
    "/media/publishing/..\\..\\console\\export.csv",
    "/media/publishing//evil.example/a.png",
    "/media/publishing/" + "a" * 24 + ".jpg?next=/console/",
    "/media/publishing/" + "a" * 24 + ".jpg#x",
    "/media/publishing/" + "a" * 24 + ".jpg/../../../console/",
    "/media/publishing/sub/" + "a" * 24 + ".jpg",
    "//evil.example/media/publishing/" + "a" * 24 + ".jpg",
    "https://evil.example/media/publishing/" + "a" * 24 + ".jpg",
    "/media/publishing/" + "A" * 24 + ".JPG",
]


@pytest.mark.parametrize("source", TRAVERSALS)
def test_an_image_address_must_be_exactly_a_stored_image_in_markdown(source: str) -> None:
    rendered = render_markdown(f"![A chart]({source})", lookup=lambda ids: {})
    assert any("Only images uploaded here" in problem for problem in rendered.problems)
    assert "<img" not in rendered.html


@pytest.mark.parametrize("source", TRAVERSALS)
def test_an_image_address_must_be_exactly_a_stored_image_in_raw_html(source: str) -> None:
    rendered = render_markdown(f'<img src="{source}" alt="A chart">', lookup=lambda ids: {})
    assert "src=" not in rendered.html
    assert "console" not in rendered.html
    assert any("the image source" in note for note in rendered.removed)


@pytest.mark.parametrize("name", ["a" * 24 + ".jpg", "0123456789abcdef01234567-640.png"])
def test_the_address_of_a_stored_image_is_kept(name: str) -> None:
    for text in (f"![A chart](/media/publishing/{name})", f'<img src="/media/publishing/{name}" alt="A chart">'):
        rendered = render_markdown(text, lookup=lambda ids: {})
        assert rendered.problems == []
        assert rendered.removed == []
        assert f'src="/media/publishing/{name}"' in rendered.html


@pytest.mark.parametrize(
    ("raw_html", "note"),
    [
        ('<a href="javascript:alert(1)">click</a>', "the link target javascript:alert(1)"),
        ('<a href="&#106;avascript:alert(1)">click</a>', "the link target javascript:alert(1)"),
        ('<a href="data:text/html,hi">click</a>', "the link target data:text/html,hi"),
        ('<img src="https://tracker.example/pixel.gif" alt="A pixel">', "https://tracker.example/pixel.gif"),
        ("<script>alert(1)</script>", "the element <script> and everything in it"),
        ('<p onclick="alert(1)">hi</p>', "the event handler onclick on <p>"),
        ('<span style="color:red">red</span>', "the inline style on <span>"),
        ("<iframe src=https://evil.example></iframe>", "the element <iframe> and everything in it"),
        ("<u>underlined</u>", "the tag <u> (its text was kept)"),
    ],
)
def test_what_the_sanitiser_removes_from_raw_html_is_listed(raw_html: str, note: str) -> None:
    rendered = render_markdown(f"Before {raw_html} after", lookup=lambda ids: {})
    assert rendered.problems == []
    assert any(note in removed for removed in rendered.removed), rendered.removed


def test_allowed_html_and_markdown_are_not_listed_as_removed() -> None:
    text = (
        '[law](https://laws.example.gov/act) <a href="/about/" title="Us">us</a> <a href="mailto:p@example.org">'
        "mail</a> <abbr title=\"Act\">A</abbr>\n\n```python\nprint('<script>')\n```\n\n| a |\n|--:|\n| 1 |"
    )
    assert render_markdown(text, lookup=lambda ids: {}).removed == []
