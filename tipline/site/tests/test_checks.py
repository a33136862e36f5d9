"""Every command refuses to run with a cleaning folder on a disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from tipline import memory_folder
from tipline.envconfig import env_password
from tipline.site.checks import clean_dir_is_memory_backed, outgoing_mail_is_encrypted_beyond_this_machine
from tipline.testing import MEMORY_FOLDER

REPO = Path(__file__).resolve().parents[3]


def test_a_memory_backed_cleaning_folder_passes(settings: object) -> None:
    if not memory_folder.memory_backed(MEMORY_FOLDER):
        pytest.skip(f"{MEMORY_FOLDER} is not memory-backed here")
    settings.TIPLINE_CLEAN_DIR = MEMORY_FOLDER  # type: ignore[attr-defined]
    assert clean_dir_is_memory_backed() == []


def test_a_cleaning_folder_on_disk_stops_every_command(settings: object) -> None:
    if memory_folder.memory_backed(REPO):
        pytest.skip("the checkout is on a memory-backed filesystem")
    settings.TIPLINE_CLEAN_DIR = REPO  # type: ignore[attr-defined]
    [error] = clean_dir_is_memory_backed()
    assert error.id == "tipline.E002"
    assert "not memory-backed" in error.msg
    with pytest.raises(SystemCheckError, match=r"tipline\.E002"):
        call_command("check")


def test_a_missing_cleaning_folder_is_named(settings: object, tmp_path: Path) -> None:
    settings.TIPLINE_CLEAN_DIR = tmp_path / "gone"  # type: ignore[attr-defined]
    [error] = clean_dir_is_memory_backed()
    assert error.id == "tipline.E001"
    assert str(tmp_path / "gone") in error.msg


def test_a_pepper_kept_in_the_data_folder_is_warned_about_outside_the_demo(settings: object, tmp_path: Path) -> None:
    from tipline.site.checks import pepper_is_kept_apart_from_the_data

    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    settings.TIPLINE_DEMO = False  # type: ignore[attr-defined]
    settings.TIPLINE_PEPPER_FILE = tmp_path / "pepper"  # type: ignore[attr-defined]
    settings.TIPLINE_AUDIT_KEY_FILE = tmp_path / "audit_key"  # type: ignore[attr-defined]
    assert [w.id for w in pepper_is_kept_apart_from_the_data()] == ["tipline.W002", "tipline.W003"]
    settings.TIPLINE_AUDIT_KEY_FILE = None  # type: ignore[attr-defined]
    settings.TIPLINE_DEMO = True  # type: ignore[attr-defined]
    assert pepper_is_kept_apart_from_the_data() == []
    settings.TIPLINE_DEMO = False  # type: ignore[attr-defined]
    settings.TIPLINE_PEPPER_FILE = tmp_path.parent / "elsewhere" / "pepper"  # type: ignore[attr-defined]
    assert pepper_is_kept_apart_from_the_data() == []
    settings.TIPLINE_PEPPER_FILE = None  # from the environment  # type: ignore[attr-defined]
    assert pepper_is_kept_apart_from_the_data() == []


def test_reward_keys_kept_in_the_data_folder_are_warned_about_outside_the_demo(
    settings: object, tmp_path: Path
) -> None:
    from tipline.site.checks import reward_keys_are_kept_apart_from_the_data

    settings.DATA_DIR = tmp_path  # type: ignore[attr-defined]
    settings.TIPLINE_DEMO = False  # type: ignore[attr-defined]
    settings.TIPLINE_REWARDS_KEY_FILE = tmp_path / "rewards_key"  # type: ignore[attr-defined]
    settings.TIPLINE_SIGNING_KEY_FILE = tmp_path / "signing_key"  # type: ignore[attr-defined]
    assert [w.id for w in reward_keys_are_kept_apart_from_the_data()] == ["tipline.W021", "tipline.W022"]
    settings.TIPLINE_DEMO = True  # type: ignore[attr-defined]
    assert reward_keys_are_kept_apart_from_the_data() == []
    settings.TIPLINE_DEMO = False  # type: ignore[attr-defined]
    settings.TIPLINE_REWARDS_KEY_FILE = None  # type: ignore[attr-defined]
    settings.TIPLINE_SIGNING_KEY_FILE = tmp_path.parent / "elsewhere" / "signing_key"  # type: ignore[attr-defined]
    assert reward_keys_are_kept_apart_from_the_data() == []


def test_outgoing_mail_in_clear_beyond_this_machine_is_warned_about(settings: object) -> None:
    settings.TIPLINE_SMTP_SECURITY = "plain"  # type: ignore[attr-defined]
    for host in ("localhost", "127.0.0.1", "::1"):
        settings.EMAIL_HOST = host  # type: ignore[attr-defined]
        assert outgoing_mail_is_encrypted_beyond_this_machine() == []
    settings.EMAIL_HOST = "relay.example.org"  # type: ignore[attr-defined]
    [warning] = outgoing_mail_is_encrypted_beyond_this_machine()
    assert warning.id == "tipline.W005"
    settings.TIPLINE_SMTP_SECURITY = "starttls"  # type: ignore[attr-defined]
    assert outgoing_mail_is_encrypted_beyond_this_machine() == []


def test_a_password_file_that_cannot_be_read_stops_the_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIPLINE_SMTP_PASSWORD", raising=False)
    assert env_password("TIPLINE_SMTP_PASSWORD") == ""
    (tmp_path / "password").write_text("secret\n")
    monkeypatch.setenv("TIPLINE_SMTP_PASSWORD_FILE", str(tmp_path / "password"))
    assert env_password("TIPLINE_SMTP_PASSWORD") == "secret"
    monkeypatch.setenv("TIPLINE_SMTP_PASSWORD_FILE", str(tmp_path / "missing"))
    with pytest.raises(ImproperlyConfigured, match="cannot be read"):
        env_password("TIPLINE_SMTP_PASSWORD")
