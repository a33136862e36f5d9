"""mat2 cleans WAV, AIFF and video only with ffmpeg: where ffmpeg is missing, no form says
they are cleaned and none is sent to mat2, while MP3, Ogg and FLAC (cleaned without it) still are."""

from __future__ import annotations

import re
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tipline.conftest import Setup, csrf_token, wav_bytes
from tipline.register import cleaning, sandbox
from tipline.register.models import Attachment

_NEED_FFMPEG = {".wav", ".aiff", ".mp4", ".avi", ".wmv"}
_WITHOUT_FFMPEG = {".mp3", ".ogg", ".flac", ".jpg", ".pdf"}


@pytest.fixture
def without_ffmpeg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cleaning, "_ffmpeg_installed", lambda: False)


def _mp3_with_title(title: str) -> bytes:
    """An ID3v2.3 tag with a title, then silent MPEG-1 layer III frames."""
    text = b"\x00" + title.encode("latin-1")
    frame = b"TIT2" + struct.pack(">I", len(text)) + b"\x00\x00" + text
    size = len(frame)
    syncsafe = bytes((size >> shift) & 0x7F for shift in (21, 14, 7, 0))
    return b"ID3\x03\x00\x00" + syncsafe + frame + (b"\xff\xfb\x90\x64" + bytes(413)) * 20


def test_without_ffmpeg_audio_and_video_that_need_it_are_not_said_to_be_cleaned(without_ffmpeg: None) -> None:
    supported = cleaning.supported_extensions()
    assert not supported & _NEED_FFMPEG
    assert supported >= _WITHOUT_FFMPEG
    assert ".wav" not in cleaning.recording_extensions()
    assert ".mp3" in cleaning.recording_extensions()


def test_with_ffmpeg_every_type_mat2_lists_is_cleaned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cleaning, "_ffmpeg_installed", lambda: True)
    assert cleaning.supported_extensions() >= _NEED_FFMPEG | _WITHOUT_FFMPEG
    assert {".wav", ".mp4", ".mp3"} <= set(cleaning.recording_extensions())
    assert ".jpg" not in cleaning.recording_extensions(), "a photo is no recording"


@pytest.fixture
def fake_list(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    listing = (
        b"[+] Supported formats:\n"
        b"  - application/zip (.zip)\n"
        b"  - audio/mpeg (.mp3, .MP2)\n"
        b"  - audio/x-wav (.wav)  \n"
        b"  - image/jpeg (.jpg, .jpeg)\n"
        b"  - video/x-matroska (.mkv)\n"
    )

    def run(argv: list[str], **_kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        return subprocess.CompletedProcess(argv, 0, stdout=listing)

    monkeypatch.setattr(sandbox, "run", run)
    cleaning._listed_types.cache_clear()
    yield
    cleaning._listed_types.cache_clear()  # the next test lists the real mat2 again


def test_the_list_keeps_each_type_and_leaves_out_archives(fake_list: None, without_ffmpeg: None) -> None:
    assert cleaning._listed_types() == {
        ".mp3": "audio/mpeg",
        ".mp2": "audio/mpeg",
        ".wav": "audio/x-wav",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".mkv": "video/x-matroska",
    }
    assert cleaning.supported_extensions() == {".mp3", ".mp2", ".jpg", ".jpeg"}, "WAV and video need ffmpeg"


def test_the_web_form_lists_no_type_it_cannot_clean(org: Setup, client: Client, without_ffmpeg: None) -> None:
    page = client.get("/report/web/").content.decode()
    listed = re.search(r"Which files are cleaned of metadata</summary>\s*<p>([^<]*)</p>", page)
    assert listed
    shown = set(listed.group(1).split(", "))
    assert not shown & _NEED_FFMPEG
    assert shown >= _WITHOUT_FFMPEG


def test_without_ffmpeg_a_wav_is_held_without_being_parsed(
    org: Setup, client: Client, without_ffmpeg: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_args: object) -> None:
        pytest.fail("a type that cannot be cleaned here went to mat2")

    monkeypatch.setattr(cleaning, "_run_mat2", never)
    token = csrf_token(client, "/report/web/")
    wav = SimpleUploadedFile("call.wav", wav_bytes(), content_type="audio/wav")
    data = {"csrfmiddlewaretoken": token, "q_what": "Heard it", "q_kind": "Fraud", "f_files": wav}
    assert client.post("/report/web/", data).status_code == 302
    assert Attachment.objects.get().state == Attachment.State.HELD


def test_without_ffmpeg_an_mp3_still_loses_its_tags(without_ffmpeg: None, settings: Any, tmp_path: Path) -> None:
    settings.TIPLINE_CLEAN_DIR = tmp_path
    source = tmp_path / "call.mp3"
    source.write_bytes(_mp3_with_title("SecretTitle-42"))
    with cleaning.cleaned_copy(source, source.name) as outcome:
        assert outcome.path is not None, "mat2 cleans MP3 with mutagen, without ffmpeg"
        assert b"SecretTitle-42" not in outcome.path.read_bytes()
