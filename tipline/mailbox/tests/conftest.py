"""A real Dovecot for the mailbox tests, started once per test session (tools/run-tests.sh
requires it: TIPLINE_TEST_DOVECOT=required turns a missing Dovecot into a failure)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tipline.conftest import Setup
from tipline.mailbox import dovecot
from tipline.register.models import Channel, ChannelKind, MailReply

PASSWORD_VARIABLE = "TIPLINE_TEST_IMAP_PASSWORD"


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[dovecot.Dovecot]:
    if not dovecot.available():
        if os.environ.get("TIPLINE_TEST_DOVECOT") == "required":
            pytest.fail("Dovecot is required (apt-get install dovecot-imapd) but is not installed")
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd; make test installs it)")
    root = Path(tempfile.mkdtemp(prefix="tipline-dovecot-"))
    server = dovecot.start(root)
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def mailbox(dovecot_server: dovecot.Dovecot, monkeypatch: pytest.MonkeyPatch) -> dovecot.Dovecot:
    """The Dovecot mailbox, emptied, with its password in the worker's environment."""
    for folder in ("", ".Done"):
        for sub in ("new", "cur", "tmp"):
            for path in (dovecot_server.maildir / folder / sub).glob("*"):
                path.unlink()
    for index in dovecot_server.maildir.rglob("dovecot*"):
        if index.is_file():
            index.unlink()
    monkeypatch.setenv(PASSWORD_VARIABLE, dovecot_server.password)
    return dovecot_server


@pytest.fixture
def mail_channel(org: Setup, mailbox: dovecot.Dovecot) -> Channel:
    channel = Channel.objects.create(
        slug="mail",
        kind=ChannelKind.MAILBOX,
        name="Report by e-mail",
        email_address="tips@example.org",
        imap_url=mailbox.url,
        imap_user=mailbox.user,
        imap_password_env=PASSWORD_VARIABLE,
        mail_reply=MailReply.RECEIPT,
    )
    channel.recipients.add(org.handler)
    return channel


@pytest.fixture(autouse=True)
def _one_thread(settings: object) -> None:
    """Inside a test's transaction only this thread sees the data: take mail in here."""
    settings.TIPLINE_MAIL_THREADS = 1  # type: ignore[attr-defined]
