"""One mailbox channel's IMAP mailbox, with the standard library's imaplib.

TLS is verified against the system's certificate authorities (implicit TLS or
STARTTLS); plain IMAP is accepted only to this machine (see ``imap_server``). The
password is read from the worker's environment or a file, never from the database.
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import logging
import os
import re
import ssl
from pathlib import Path
from types import TracebackType

from django.utils.translation import gettext, gettext_noop

from tipline.register.models import Channel
from tipline.register.models.channels import imap_server

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 60
_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class MailboxUnavailable(Exception):
    """The mailbox could not be reached or opened: why, without secrets, in English for the
    log (``str``) and in the active language for the console (``said``). ``template`` is
    marked for the catalogue where it is written; ``params`` are names, paths and what the
    server or the system said, which stay as they are."""

    def __init__(self, template: str, **params: object) -> None:
        self.template, self.params = template, params
        super().__init__(template % params if params else template)

    def said(self) -> str:
        template = gettext(self.template)
        return template % self.params if self.params else template


def password_of(channel: Channel) -> str:
    if channel.imap_password_env:
        value = os.environ.get(channel.imap_password_env)
        if value is None:
            raise MailboxUnavailable(
                gettext_noop("the environment variable %(name)s is not set for the worker"),
                name=channel.imap_password_env,
            )
        return value
    try:
        return Path(channel.imap_password_file).read_bytes().decode("utf-8").strip()
    except OSError as error:
        raise MailboxUnavailable(
            gettext_noop("the password file %(path)s cannot be read (%(reason)s)"),
            path=channel.imap_password_file,
            reason=error.strerror,
        ) from None
    except UnicodeDecodeError:
        raise MailboxUnavailable(
            gettext_noop("the password file %(path)s is not UTF-8 text"), path=channel.imap_password_file
        ) from None


def folder_name(folder: str) -> str:
    """A folder's name as IMAP writes it: modified UTF-7 (RFC 3501, 5.1.3), so that
    "Eingänge" is "Eing&AOQ-nge"; printable ASCII stays as it is, "&" becomes "&-"."""
    out: list[str] = []
    run: list[str] = []

    def end_run() -> None:
        if run:
            encoded = base64.b64encode("".join(run).encode("utf-16-be")).decode("ascii")
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            run.clear()

    for character in folder:
        if " " <= character <= "~":
            end_run()
            out.append("&-" if character == "&" else character)
        else:
            run.append(character)
    end_run()
    return "".join(out)


def _quoted(folder: str) -> str:
    name = folder_name(folder)
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _log_in(connection: imaplib.IMAP4, user: str, password: str) -> None:
    """LOGIN, which takes ASCII only; a name or password with other characters goes as UTF-8
    in AUTHENTICATE PLAIN (RFC 4616), which the server must offer."""
    if user.isascii() and password.isascii():
        connection.login(user, password)
        return
    credentials = b"\0" + user.encode() + b"\0" + password.encode()
    connection.authenticate("PLAIN", lambda _challenge: credentials)


class Mailbox:
    """``with Mailbox(channel) as box:`` lists, fetches and removes messages by UID."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.server = imap_server(channel.imap_url)
        self.connection: imaplib.IMAP4 | None = None
        self.capabilities: set[str] = set()

    def __enter__(self) -> Mailbox:
        server, context = self.server, ssl.create_default_context()
        try:
            if server.security == "tls":
                connection: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    server.host, server.port, ssl_context=context, timeout=TIMEOUT_SECONDS
                )
            else:
                connection = imaplib.IMAP4(server.host, server.port, timeout=TIMEOUT_SECONDS)
                if server.security == "starttls":
                    connection.starttls(ssl_context=context)
            self.connection = connection
            _log_in(connection, self.channel.imap_user, password_of(self.channel))
            status, _ = connection.select(_quoted(self.channel.imap_folder or "INBOX"))
            if status != "OK":
                raise MailboxUnavailable(
                    gettext_noop("the folder %(folder)s cannot be opened"), folder=self.channel.imap_folder
                )
            # The capabilities after log-in (MOVE, UIDPLUS) are not those announced before it.
            status, data = connection.capability()
            words = data[0].split() if status == "OK" and data and isinstance(data[0], bytes) else []
            self.capabilities = {word.decode().upper() for word in words}
        except OSError as error:
            self._close()
            said = gettext_noop("%(server)s cannot be reached: %(error)s")
            raise MailboxUnavailable(said, server=f"{server.host}:{server.port}", error=error) from None
        except imaplib.IMAP4.error as error:
            self._close()
            said = gettext_noop("%(server)s refused: %(error)s")
            raise MailboxUnavailable(said, server=f"{server.host}:{server.port}", error=error) from None
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._close()

    def _close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is None:
            return
        # LOGOUT, never CLOSE: CLOSE would expunge every message marked deleted, also
        # those another mail program marked and Tipline never took in.
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            connection.logout()

    @property
    def _imap(self) -> imaplib.IMAP4:
        if self.connection is None:
            raise MailboxUnavailable(gettext_noop("the mailbox is not open"))
        return self.connection

    def uids(self) -> list[str]:
        """Every message in the folder (those marked deleted too: a crash may have left one
        marked but not expunged, and it is removed again)."""
        status, data = self._imap.uid("SEARCH", "ALL")
        if status != "OK":
            return []
        return [uid.decode() for uid in (data[0] or b"").split()]

    def sizes(self) -> dict[str, int]:
        """The size of every message in the folder (one command for them all), by uid; a
        server that will not tell gives none (each message is then fetched as it comes)."""
        try:
            status, data = self._imap.uid("FETCH", "1:*", "(RFC822.SIZE)")
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error:
            return {}
        found: dict[str, int] = {}
        for item in data if status == "OK" else []:
            line = item[0] if isinstance(item, tuple) else item
            if not isinstance(line, bytes):
                continue
            uid, size = _UID.search(line), _SIZE.search(line)
            if uid and size:
                found[uid.group(1).decode()] = int(size.group(1))
        return found

    def fetch_headers(self, uid: str, *, at_most: int) -> bytes | None:
        """Only the message's headers (their first ``at_most`` bytes), without marking it
        seen; None if it is gone."""
        return self._fetched(uid, f"(BODY.PEEK[HEADER]<0.{at_most}>)")

    def fetch(self, uid: str, *, at_most: int | None = None) -> bytes | None:
        """The whole message as received (its first ``at_most`` bytes when given), without
        marking it seen; None if it is gone."""
        return self._fetched(uid, f"(BODY.PEEK[]<0.{at_most}>)" if at_most else "(BODY.PEEK[])")

    def _fetched(self, uid: str, what: str) -> bytes | None:
        status, data = self._imap.uid("FETCH", uid, what)
        if status != "OK":
            return None
        for item in data:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                return item[1]
        return None

    def remove(self, uids: list[str]) -> None:
        """Move the messages to the channel's done folder, or delete them (expunged at once)."""
        if not uids:
            return
        imap, done, chosen = self._imap, self.channel.imap_done_folder, ",".join(uids)
        if done and "MOVE" in self.capabilities:
            self._ok(imap.uid("MOVE", chosen, _quoted(done)))
            return
        marked = set() if "UIDPLUS" in self.capabilities else set(self._marked_deleted())
        # One already marked deleted is one of ours from an earlier poll (see below), in the done
        # folder already, or one another program deleted: neither is copied again.
        if done and (copied := ",".join(uid for uid in uids if uid not in marked)):
            self._ok(imap.uid("COPY", copied, _quoted(done)))
        self._ok(imap.uid("STORE", chosen, "+FLAGS.SILENT", "(\\Deleted)"))
        if "UIDPLUS" in self.capabilities:
            self._ok(imap.uid("EXPUNGE", chosen))
        elif marked <= set(uids):
            self._ok(imap.expunge())  # removes every message marked deleted: here, only these
        else:
            # Another mail program marked messages deleted: a plain EXPUNGE would remove them too.
            # These stay marked; the next poll finds their reports and tries again.
            log.warning(
                "Channel %s: other messages in the mailbox are marked deleted and the server has no UIDPLUS; "
                "Tipline leaves its own marked until they can be expunged alone",
                self.channel.slug,
            )

    def _marked_deleted(self) -> list[str]:
        status, data = self._imap.uid("SEARCH", "DELETED")
        if status != "OK":
            raise MailboxUnavailable(gettext_noop("the server refused: %(answer)s"), answer=repr(data))
        return [uid.decode() for uid in (data[0] or b"").split()]

    @staticmethod
    def _ok(result: tuple[str, object]) -> None:
        if result[0] != "OK":
            raise MailboxUnavailable(gettext_noop("the server refused: %(answer)s"), answer=repr(result[1]))
