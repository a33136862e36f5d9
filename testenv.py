"""pytest plugin loaded first (``-p testenv``): the one cheap Argon2 setting for tests,
and a private data folder, set before Django reads its settings."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("TIPLINE_KDF_COST", "t=1,m=8M")
os.environ.setdefault("TIPLINE_ALLOW_WEAK_KDF", "1")
os.environ.setdefault("TIPLINE_DATA_DIR", tempfile.mkdtemp(prefix="tipline-test-"))
os.environ.setdefault("TIPLINE_SECURE_COOKIES", "1")
