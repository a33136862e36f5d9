from __future__ import annotations

from tipline.downloads import attachment_response, content_disposition


def test_a_download_names_its_file_as_an_attachment() -> None:
    response = attachment_response(name="evidence.pdf", size=3, chunks=iter([b"abc"]))
    assert response["Content-Disposition"] == 'attachment; filename="evidence.pdf"'
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Length"] == "3"


def test_a_name_that_is_not_plain_ascii_gets_a_fallback_and_its_exact_form() -> None:
    header = content_disposition("举报 “信”.pdf")
    assert header == (
        "attachment; filename=\"__ ___.pdf\"; filename*=UTF-8''%E4%B8%BE%E6%8A%A5%20%E2%80%9C%E4%BF%A1%E2%80%9D.pdf"
    )


def test_quotes_separators_and_control_characters_never_reach_the_header() -> None:
    header = content_disposition('a"b\\c/d\r\nSet-Cookie: x.txt')
    assert "\r" not in header
    assert "\n" not in header
    assert header.startswith('attachment; filename="a_b_c_dSet-Cookie: x.txt"')
    assert content_disposition("\x00\x01") == 'attachment; filename="file"'
