"""Read ``TIPLINE_*`` settings from the environment; fail loudly on a bad value."""

from __future__ import annotations

import datetime
import os
import secrets
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    msg = f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}"
    raise ImproperlyConfigured(msg)


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        msg = f"{name} must be a whole number; got {raw!r}"
        raise ImproperlyConfigured(msg) from None
    if value < minimum:
        msg = f"{name} must be at least {minimum}; got {value}"
        raise ImproperlyConfigured(msg)
    return value


def env_size(name: str, default: int) -> int:
    """A byte size such as ``50M``, ``200MiB`` or ``1048576``."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    text = raw.strip().upper().removesuffix("IB").removesuffix("B")
    factor = {"K": 1024, "M": 1024**2, "G": 1024**3}.get(text[-1:], 1)
    number = text[:-1] if factor > 1 else text
    if not number.isdigit():
        msg = f"{name} must be a size such as 50M or 1048576; got {raw!r}"
        raise ImproperlyConfigured(msg)
    return int(number) * factor


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_times(name: str, default: str) -> list[datetime.time]:
    """Times of day such as ``08:00,13:00,17:00`` (24-hour, at least one), sorted, without repeats."""
    raw = os.environ.get(name, default)
    times: set[datetime.time] = set()
    for item in raw.split(","):
        text = item.strip()
        hours, _, minutes = text.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and int(hours) < 24 and int(minutes) < 60):
            msg = f"{name} must be times of day such as 08:00,13:00,17:00; got {raw!r}"
            raise ImproperlyConfigured(msg)
        times.add(datetime.time(int(hours), int(minutes)))
    return sorted(times)


def env_password(name: str) -> str:
    """A password from ``NAME``, or from the file named by ``NAME_FILE``; "" without either."""
    if (value := os.environ.get(name)) is not None:
        return value
    path_text = os.environ.get(f"{name}_FILE")
    if not path_text:
        return ""
    try:
        return Path(path_text).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        msg = f"{name}_FILE points to {path_text}, which cannot be read as text ({type(error).__name__})"
        raise ImproperlyConfigured(msg) from None


def env_secret(name: str, *, fallback_file: Path | None = None, nbytes: int = 32, max_bytes: int = 0) -> str:
    """A secret from ``NAME``, or from the file named by ``NAME_FILE``.

    Without either, ``fallback_file`` is read, and created (mode 0600, random
    content) the first time: this is what makes ``make run`` work with no set-up.
    A secret shorter than 32 characters, or longer than ``max_bytes`` (UTF-8) when
    that is given, stops the start with a message that says so.
    """
    if (value := os.environ.get(name)) is not None:
        return _checked_secret(value, name, max_bytes)
    path_text = os.environ.get(f"{name}_FILE")
    path = Path(path_text) if path_text else fallback_file
    if path is None:
        msg = f"set {name} or {name}_FILE"
        raise ImproperlyConfigured(msg)
    if not path.exists():
        if path_text:
            msg = f"{name}_FILE points to {path}, which does not exist"
            raise ImproperlyConfigured(msg)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(nbytes))
    return _checked_secret(path.read_text().strip(), f"the secret in {path}", max_bytes)


def _checked_secret(value: str, what: str, max_bytes: int) -> str:
    if len(value) < 32:
        msg = f"{what} must be at least 32 characters"
        raise ImproperlyConfigured(msg)
    if max_bytes and len(value.encode()) > max_bytes:
        msg = f"{what} must be at most {max_bytes} bytes (it keys BLAKE2b); it has {len(value.encode())}"
        raise ImproperlyConfigured(msg)
    return value


PG_SESSION_OPTIONS = "-c max_parallel_workers_per_gather=0"


def database_from_url(url: str) -> dict[str, object]:
    """``sqlite:////absolute/path`` or ``postgres://user:pass@host:port/name``."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # dj-database-url convention: sqlite:////absolute/path, sqlite:///relative/path
        path = unquote(parts.path)[1:]
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            # Keep each thread's connection: opening one (and its PRAGMAs) costs more than a submission's queries.
            "CONN_MAX_AGE": None,
            "OPTIONS": {
                # IMMEDIATE avoids the reader-turned-writer deadlock of DEFERRED transactions.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    # FULL: each commit is synced to the disk before it returns, so a report
                    # whose receipt was shown (or whose mail left the server) survives a
                    # power cut; with NORMAL a WAL commit reaches the disk only at the next
                    # checkpoint.
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000; "
                    # Deleted rows (a purged report's ciphertext, blanked digests) are overwritten
                    # with zeros, not left in free pages of the file.
                    "PRAGMA secure_delete=ON;"
                ),
            },
        }
    if parts.scheme in {"postgres", "postgresql"}:
        options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        # Tipline's queries are small and indexed: starting parallel workers costs more than
        # it saves (about 8 ms on the console's label filter on 2 cores). ?options= overrides.
        options.setdefault("options", PG_SESSION_OPTIONS)
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    msg = f"TIPLINE_DATABASE_URL must start with sqlite:/// or postgres://; got {parts.scheme!r}"
    raise ImproperlyConfigured(msg)
