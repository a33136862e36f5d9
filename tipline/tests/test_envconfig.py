from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from tipline import envconfig


def test_booleans_accept_the_usual_words_and_refuse_others(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIPLINE_X", "yes")
    assert envconfig.env_bool("TIPLINE_X", False) is True
    monkeypatch.setenv("TIPLINE_X", "off")
    assert envconfig.env_bool("TIPLINE_X", True) is False
    monkeypatch.setenv("TIPLINE_X", "maybe")
    with pytest.raises(ImproperlyConfigured, match="TIPLINE_X"):
        envconfig.env_bool("TIPLINE_X", True)


def test_integers_and_sizes_fail_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIPLINE_N", "ten")
    with pytest.raises(ImproperlyConfigured, match="whole number"):
        envconfig.env_int("TIPLINE_N", 1)
    monkeypatch.setenv("TIPLINE_N", "-3")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        envconfig.env_int("TIPLINE_N", 1)
    monkeypatch.setenv("TIPLINE_S", "50M")
    assert envconfig.env_size("TIPLINE_S", 0) == 50 * 1024**2
    monkeypatch.setenv("TIPLINE_S", "200MiB")
    assert envconfig.env_size("TIPLINE_S", 0) == 200 * 1024**2
    monkeypatch.setenv("TIPLINE_S", "lots")
    with pytest.raises(ImproperlyConfigured, match="size"):
        envconfig.env_size("TIPLINE_S", 0)


def test_times_of_day_are_sorted_without_repeats_and_fail_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIPLINE_T", raising=False)
    assert envconfig.env_times("TIPLINE_T", "17:00, 08:00") == [dt.time(8, 0), dt.time(17, 0)]
    monkeypatch.setenv("TIPLINE_T", "13:30,13:30,7:05")
    assert envconfig.env_times("TIPLINE_T", "08:00") == [dt.time(7, 5), dt.time(13, 30)]
    for bad in ("", "8", "24:00", "08:60", "8am", "08:00;13:00", "08:0"):
        monkeypatch.setenv("TIPLINE_T", bad)
        with pytest.raises(ImproperlyConfigured, match="TIPLINE_T"):
            envconfig.env_times("TIPLINE_T", "08:00")


def test_secrets_come_from_the_variable_a_file_or_a_generated_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("TIPLINE_K", raising=False)
    monkeypatch.delenv("TIPLINE_K_FILE", raising=False)
    generated = tmp_path / "k"
    first = envconfig.env_secret("TIPLINE_K", fallback_file=generated)
    assert envconfig.env_secret("TIPLINE_K", fallback_file=generated) == first
    assert generated.stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("TIPLINE_K", "short")
    with pytest.raises(ImproperlyConfigured, match="32"):
        envconfig.env_secret("TIPLINE_K", fallback_file=generated)
    monkeypatch.delenv("TIPLINE_K")
    monkeypatch.setenv("TIPLINE_K_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="does not exist"):
        envconfig.env_secret("TIPLINE_K")


def test_a_pepper_too_long_to_key_blake2b_stops_the_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Over 64 bytes it passed configuration and broke every receipt."""
    monkeypatch.setenv("TIPLINE_K", "p" * 65)
    with pytest.raises(ImproperlyConfigured, match="at most 64 bytes"):
        envconfig.env_secret("TIPLINE_K", max_bytes=64)
    monkeypatch.setenv("TIPLINE_K", "许" * 33)  # 33 characters are 99 bytes
    with pytest.raises(ImproperlyConfigured, match="at most 64 bytes"):
        envconfig.env_secret("TIPLINE_K", max_bytes=64)
    monkeypatch.delenv("TIPLINE_K")
    stored = tmp_path / "pepper"
    stored.write_text("q" * 80)
    monkeypatch.setenv("TIPLINE_K_FILE", str(stored))
    with pytest.raises(ImproperlyConfigured, match="at most 64 bytes"):
        envconfig.env_secret("TIPLINE_K", max_bytes=64)
    stored.write_text("q" * 64)
    assert envconfig.env_secret("TIPLINE_K", max_bytes=64) == "q" * 64


def test_sqlite_overwrites_what_it_deletes() -> None:
    options = envconfig.database_from_url("sqlite:////tmp/x.sqlite3")["OPTIONS"]
    assert "PRAGMA secure_delete=ON;" in options["init_command"]  # type: ignore[index]


def test_sqlite_syncs_every_commit() -> None:
    options = envconfig.database_from_url("sqlite:////tmp/x.sqlite3")["OPTIONS"]
    assert "PRAGMA synchronous=FULL;" in options["init_command"]  # type: ignore[index]


def test_database_urls() -> None:
    sqlite = envconfig.database_from_url("sqlite:////srv/tipline/x.db")
    assert sqlite["NAME"] == "/srv/tipline/x.db"
    assert "WAL" in sqlite["OPTIONS"]["init_command"]  # type: ignore[index]
    pg = envconfig.database_from_url("postgres://u:p%40ss@db.example:6543/tl?sslmode=require")
    assert (pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"], pg["NAME"]) == ("u", "p@ss", "db.example", "6543", "tl")
    assert pg["OPTIONS"] == {"sslmode": "require", "options": "-c max_parallel_workers_per_gather=0"}
    chosen = envconfig.database_from_url("postgres://u@db/tl?options=-c%20work_mem%3D64MB")
    assert chosen["OPTIONS"] == {"options": "-c work_mem=64MB"}
    with pytest.raises(ImproperlyConfigured, match="TIPLINE_DATABASE_URL"):
        envconfig.database_from_url("mysql://x")
