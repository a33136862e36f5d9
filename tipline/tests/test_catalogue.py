"""The Simplified Chinese catalogue is what ``makemessages`` makes of today's code, fully
translated: every text marked for translation has its translation, and the catalogue
holds no text the code no longer marks (a text moved inside an f-string, where
``makemessages`` cannot read it, would lose its translation at the next update)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1]
CATALOGUE = Path("locale") / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _make_messages(copy: Path, data: Path) -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("TIPLINE_", "DJANGO_"))} | {
        "PYTHONPATH": str(copy.parent),
        "DJANGO_SETTINGS_MODULE": "tipline.settings",
        "TIPLINE_DATA_DIR": str(data),
    }
    command = [sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans"]
    command += ["--ignore", "*/tests/*", "--ignore", "static/*"]
    result = subprocess.run(
        command, check=False, cwd=copy, env=environment, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed (make test installs it)")
def test_the_chinese_catalogue_is_complete_and_current(tmp_path: Path) -> None:
    copy = tmp_path / "tipline"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static"))
    _make_messages(copy, tmp_path / "data")
    made = (copy / CATALOGUE).read_text(encoding="utf-8")
    obsolete = re.findall(r'^#~ msgid "(.*)"$', made, re.MULTILINE)
    assert not obsolete, (
        "in the catalogue but no longer marked in the code (inside an f-string?); if the text was "
        f"dropped on purpose, run makemessages with --no-obsolete: {obsolete}"
    )
    statistics = subprocess.run(
        ["msgfmt", "--statistics", "-o", os.devnull, str(copy / CATALOGUE)],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    advice = f"{statistics.strip()}: translate the new texts in {CATALOGUE} (makemessages, then compilemessages)"
    assert "untranslated" not in statistics, advice
    assert "fuzzy" not in statistics, advice
