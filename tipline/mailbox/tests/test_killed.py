"""A worker killed with SIGKILL between storing a mail's report and removing the mail from
the mailbox: the next poll neither loses the mail nor makes a second report of it. Killed
before the reply went out, the report says its reply is not known to be sent."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from tipline.mailbox.dovecot import Dovecot
from tipline.mailbox.tests.conftest import PASSWORD_VARIABLE

SET_UP = """
import django; django.setup()
from tipline.accounts import services as accounts
from tipline.accounts.models import Role
from tipline.register.models import Channel, ChannelKind
_, escrow = accounts.create_organisation(name="Office")
accounts.create_staff(username="sup", password="correct horse battery staple", roles=[Role.SUPERVISOR], validate=False)
Channel.objects.create(slug="mail", kind=ChannelKind.MAILBOX, name="Mail", imap_url={url!r}, imap_user={user!r},
                       imap_password_env={variable!r}, mail_reply={reply!r})
"""

POLL = """
import os, signal, sys
import django; django.setup()
from tipline.mailbox import services
from tipline.register.models import Channel
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
if sys.argv[1] == "kill":  # the report is committed; the worker dies before the mail is removed
    services.Mailbox.remove = die
elif sys.argv[1] == "kill-before-reply":  # ... and before its reply is sent
    services._reply = die
summary = services.poll(channel=Channel.objects.get(slug="mail"), threads=1)
print(summary.taken, summary.already_taken)
"""


def _run(script: str, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-c", script, *args]
    return subprocess.run(command, check=False, env=env, capture_output=True, text=True, timeout=120)


def _set_up(tmp_path: Path, mailbox: Dovecot, *, reply: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tipline.settings",
        "TIPLINE_DATA_DIR": str(tmp_path / "data"),
        "TIPLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "TIPLINE_STORAGE_URL": f"file://{tmp_path / 'store'}",
        PASSWORD_VARIABLE: mailbox.password,
    }
    subprocess.run([sys.executable, "-m", "tipline", "migrate", "-v0"], env=env, check=True, timeout=300)
    set_up = _run(SET_UP.format(url=mailbox.url, user=mailbox.user, variable=PASSWORD_VARIABLE, reply=reply), env)
    assert set_up.returncode == 0, set_up.stderr
    mailbox.deliver(b"From: ana@example.net\nSubject: depot\nMessage-ID: <k@example.net>\n\ncash for permits\n")
    return env


def test_a_worker_killed_after_the_commit_loses_nothing_and_duplicates_nothing(
    tmp_path: Path, mailbox: Dovecot
) -> None:
    database = tmp_path / "db.sqlite3"
    env = _set_up(tmp_path, mailbox, reply="nothing")

    killed = _run(POLL, env, "kill")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    with closing(sqlite3.connect(database)) as db:
        assert db.execute("SELECT count(*) FROM register_report").fetchone() == (1,)
    assert mailbox.count() == 1, "the mail is still there"

    again = _run(POLL, env, "normal")
    assert again.returncode == 0, again.stderr
    assert again.stdout.split() == ["0", "1"], "found as already taken in"
    with closing(sqlite3.connect(database)) as db:
        assert db.execute("SELECT count(*) FROM register_report").fetchone() == (1,)
    assert mailbox.count() == 0


def test_a_worker_killed_before_the_reply_leaves_the_report_saying_so(tmp_path: Path, mailbox: Dovecot) -> None:
    """The receipt is never kept, so the reply cannot be sent again: the handlers are told."""
    database = tmp_path / "db.sqlite3"
    env = _set_up(tmp_path, mailbox, reply="receipt")
    killed = _run(POLL, env, "kill-before-reply")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    again = _run(POLL, env, "normal")
    assert again.stdout.split() == ["0", "1"], again.stderr
    with closing(sqlite3.connect(database)) as db:
        assert db.execute("SELECT mail_reply_state FROM register_report").fetchall() == [("pending",)]
    assert mailbox.count() == 0
