"""A throwaway Dovecot IMAP server for the tests and the benchmark (Debian package
``dovecot-imapd``): plain IMAP on 127.0.0.1 only, one mailbox user, mail delivered with
``dovecot-lda`` exactly as a mail server would. Not used by the application itself."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

DOVECOT = "/usr/sbin/dovecot"
LDA = "/usr/lib/dovecot/dovecot-lda"
DOVEADM = "/usr/bin/doveadm"
NOBODY = 65534


def available() -> bool:
    return Path(DOVECOT).exists() and Path(LDA).exists()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Dovecot:
    root: Path
    port: int
    user: str = "tips"
    password: str = "tips-password-for-tests-only"

    @property
    def config(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def url(self) -> str:
        return f"imap://127.0.0.1:{self.port}"

    @property
    def maildir(self) -> Path:
        return self.root / "home" / "Maildir"

    def start(self) -> None:
        home = self.root / "home"
        for path in (self.root / "run", home):
            path.mkdir(parents=True, exist_ok=True)
        (self.root / "users").write_text(f"{self.user}:{{PLAIN}}{self.password}:{NOBODY}:{NOBODY}::{home}\n")
        self.config.write_text(
            f"""protocols = imap
listen = 127.0.0.1
base_dir = {self.root}/run
log_path = {self.root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_uid = {NOBODY}
mail_gid = {NOBODY}
default_login_user = nobody
default_internal_user = nobody
passdb {{
  driver = passwd-file
  args = {self.root}/users
}}
userdb {{
  driver = passwd-file
  args = {self.root}/users
}}
namespace inbox {{
  inbox = yes
  mailbox Done {{
    auto = create
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
        )
        if os.geteuid() == 0:
            shutil.chown(home, NOBODY, NOBODY)
            self.root.chmod(0o755)  # Dovecot's own users must traverse the test server's folder
        subprocess.run([DOVECOT, "-c", str(self.config)], check=True)  # noqa: S603 - fixed program, our config
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        msg = f"Dovecot did not start; its log: {(self.root / 'dovecot.log').read_text(errors='replace')}"
        raise RuntimeError(msg)

    def stop(self) -> None:
        stop = [DOVEADM, "-c", str(self.config), "stop"]
        subprocess.run(stop, check=False, capture_output=True)  # noqa: S603 - fixed program, our config

    def deliver(self, raw: bytes, *, sender: str = "sender@example.test") -> None:
        """Deliver one message into the user's INBOX, as the mail server would."""
        # As root, the delivery agent itself writes as the mailbox's owner (from the userdb).
        command = [LDA, "-c", str(self.config), "-d", self.user, "-f", sender]
        subprocess.run(command, input=raw, check=True, capture_output=True)  # noqa: S603 - fixed program

    def count(self, folder: str = "INBOX") -> int:
        """Messages in a folder (read from the maildir: no IMAP session needed)."""
        base = self.maildir if folder == "INBOX" else self.maildir / f".{folder}"
        return sum(len(list((base / sub).glob("*"))) for sub in ("new", "cur") if (base / sub).exists())


def start(root: Path) -> Dovecot:
    server = Dovecot(root=root, port=_free_port())
    server.start()
    return server
