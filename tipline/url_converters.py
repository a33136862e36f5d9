"""Path converters shared by the apps' URLs."""

from __future__ import annotations

from django.urls import register_converter


class RowIdConverter:
    """A row id in a URL: at most 18 digits, so it always fits the database's 64-bit
    integers (a longer number would make SQLite fail instead of giving 404)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(RowIdConverter, "row_id")
