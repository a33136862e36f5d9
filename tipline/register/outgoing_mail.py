"""Mail written to a reporter (the reply to a mail report, a handler's answer by e-mail):
nothing tells which site language they read, so each text is written in every site
language, the default one first; and it reaches an address written beyond ASCII."""

from __future__ import annotations

import email.message
import email.policy
import logging
import re
import smtplib
from collections.abc import Callable
from email.headerregistry import Address
from email.utils import formatdate, make_msgid, parseaddr, unquote

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import sanitize_address
from django.core.mail.utils import DNS_NAME
from django.urls import reverse
from django.utils import translation

from tipline.local_text import default_language, other_languages

log = logging.getLogger(__name__)

# Between the languages of one mail body.
SEPARATOR = "\n\n" + "-" * 40 + "\n\n"


def site_languages() -> list[str]:
    return [default_language(), *(code.lower() for code, _name in other_languages())]


def in_every_language(write: Callable[[str], str], *, separator: str = SEPARATOR) -> str:
    """``write(language)`` called with each site language active, joined (a language whose
    catalogue gives the same text as an earlier one is not repeated)."""
    texts: list[str] = []
    for language in site_languages():
        with translation.override(language):
            text = write(language)
        if text not in texts:
            texts.append(text)
    return separator.join(texts)


def subject_in_every_language(write: Callable[[str], str]) -> str:
    return in_every_language(write, separator=" / ")


def portal_address() -> str:
    """The portal's log-in page (its language follows the reader's browser or choice)."""
    return settings.TIPLINE_SITE_URL + reverse("portal:login")


def how_to_report_address(language: str) -> str:
    """The public page on how to report, in ``language`` (its language is in its address)."""
    kwargs = {} if language == default_language() else {"lang": language}
    return settings.TIPLINE_SITE_URL + reverse("publishing:how_to_report", kwargs=kwargs or None)


# Characters that IDNA 2003 (Python's "idna" codec, which Django's sending uses) turns into
# others where IDNA 2008 keeps them: straße.de would become strasse.de, another domain.
_IDNA_DEVIATIONS = frozenset("\u00df\u03c2\u200c\u200d")


def _as_written(address: str) -> bool:
    """Whether ``address`` must go as it is written, over SMTPUTF8: the part before its ``@``
    is beyond ASCII (RFC 6531), or its domain holds a character IDNA 2003 would change."""
    local, _at, domain = (parseaddr(address)[1] or address).rpartition("@")
    return not local.isascii() or any(character in _IDNA_DEVIATIONS for character in domain.lower())


class DeliveryUnknown(Exception):
    """The server was handed the whole mail but its answer never came (it timed out, or the
    session broke): it may have delivered it. Sending it again could deliver it twice."""


def send(mail: EmailMessage, *, backend: BaseEmailBackend, null_sender: bool = False) -> None:
    """Send ``mail`` on ``backend``'s session (opened if it is not), raising what stopped it.

    On an SMTP session, ``null_sender`` sends it with an empty return path (``MAIL FROM:<>``,
    RFC 3834), so that no server bounces an automatic reply back into the mailbox. A
    recipient whose address is written beyond ASCII before its ``@`` (``张伟@example.cn``,
    RFC 6531), or whose domain IDNA 2003 would turn into another, gets the mail as the
    address is written, with SMTPUTF8; a server that does not offer it refuses
    (``SMTPNotSupportedError``, an ``OSError``), where Django's own sending would address an
    encoded word no server delivers, or another domain. A mail the server refused leaves
    the session ready for the next. :class:`DeliveryUnknown` when the server took the mail's
    data and did not answer: the session is closed, since nothing tells where it stands.
    Another backend (the tests' memory) sends it as it does.
    """
    backend.open()
    session = getattr(backend, "connection", None)
    if not isinstance(session, smtplib.SMTP):
        backend.send_messages([mail])
        return
    encoding = mail.encoding or settings.DEFAULT_CHARSET
    sender = "" if null_sender else sanitize_address(mail.from_email, encoding)
    recipients = mail.recipients()
    try:
        if not any(_as_written(address) for address in recipients):
            addresses = [sanitize_address(address, encoding) for address in recipients]
            _transact(session, sender, addresses, mail.message().as_bytes(linesep="\r\n"), options=[])
            return
        session.ehlo_or_helo_if_needed()
        if not (session.does_esmtp and session.has_extn("smtputf8")):
            msg = "the mail server takes no address written beyond ASCII (it does not offer SMTPUTF8)"
            raise smtplib.SMTPNotSupportedError(msg)
        options = ["SMTPUTF8", *(["BODY=8BITMIME"] if session.has_extn("8bitmime") else [])]
        addresses = [_envelope_address(address) for address in recipients]
        _transact(session, sender, addresses, _internationalised(mail), options=options)
    except (smtplib.SMTPServerDisconnected, ConnectionError):
        raise  # no session left to keep
    except DeliveryUnknown:
        session.close()  # a late answer would be read as the next command's
        raise
    except Exception:
        if session.sock is not None:  # not closed on a 421
            _reset(session)
        raise


def _transact(session: smtplib.SMTP, sender: str, recipients: list[str], data: bytes, *, options: list[str]) -> None:
    """One mail transaction, as ``smtplib.SMTP.sendmail`` runs it (a refusal raises the same
    exceptions), except that an answer lost after the mail's data was handed over raises
    :class:`DeliveryUnknown`: the server may have delivered it, where a failure before then
    means it did not."""
    session.ehlo_or_helo_if_needed()
    size = [f"SIZE={len(data)}"] if session.has_extn("size") else []
    options = [*size, *options] if session.does_esmtp else []
    code, answer = session.mail(sender, options)
    if code != 250:
        _close_on_421(session, code)
        raise smtplib.SMTPSenderRefused(code, answer, sender)
    refused: dict[str, tuple[int, bytes]] = {}
    for recipient in recipients:
        code, answer = session.rcpt(recipient)
        if code not in (250, 251):
            refused[recipient] = (code, answer)
        if code == 421:
            session.close()
            raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(recipients):
        raise smtplib.SMTPRecipientsRefused(refused)
    session.putcmd("data")
    code, answer = session.getreply()
    if code != 354:
        _close_on_421(session, code)
        raise smtplib.SMTPDataError(code, answer)
    stuffed = _DOT_AT_LINE_START.sub(b"..", data)
    stuffed += b".\r\n" if stuffed.endswith(b"\r\n") else b"\r\n.\r\n"
    session.send(stuffed)  # failing, it did not end the data: nothing was delivered
    try:
        code, answer = session.getreply()
    except (smtplib.SMTPException, OSError) as error:  # no answer, or one that could not be read
        raise DeliveryUnknown from error
    if code != 250:
        _close_on_421(session, code)
        raise smtplib.SMTPDataError(code, answer)


# RFC 5321 4.5.2: a line of the data that starts with a period gets one more.
_DOT_AT_LINE_START = re.compile(rb"(?m)^\.")


def _close_on_421(session: smtplib.SMTP, code: int) -> None:
    """A server that answers 421 is closing the session (another refusal is followed by a
    reset, in :func:`send`)."""
    if code == 421:
        session.close()


def _envelope_address(address: str) -> str:
    """The address alone (without a display name), quoted where RFC 5321 asks it, never cut
    short at a line break."""
    if "\r" in address or "\n" in address:
        msg = "an address cannot hold a line break"
        raise ValueError(msg)
    local, _at, domain = (parseaddr(address)[1] or address).rpartition("@")
    if len(local) > 1 and local[0] == local[-1] == '"':
        local = unquote(local)
    if not local or not domain:
        msg = "an address needs something each side of its @"
        raise ValueError(msg)
    try:
        return Address(username=local, domain=domain).addr_spec
    except Exception as error:  # the standard library's address classes raise more than ValueError
        msg = "not an address mail can be sent to"
        raise ValueError(msg) from error


def _reset(session: smtplib.SMTP) -> None:
    """End a transaction a refused mail may have left open (the server would refuse the next
    mail's MAIL FROM on this session)."""
    try:
        session.rset()
    except (smtplib.SMTPException, OSError):
        log.info("The mail server did not take a reset after a refused mail")


def _internationalised(mail: EmailMessage) -> bytes:
    """``mail`` (text, no attachments, as Tipline writes to reporters) with its headers in
    UTF-8 as they are, for a session with SMTPUTF8."""
    if mail.attachments or getattr(mail, "alternatives", None):
        msg = "only a text mail is sent to an address written beyond ASCII"
        raise ValueError(msg)
    try:
        return _utf8_message(mail)
    except ValueError:
        raise
    except Exception as error:  # the header parser raises IndexError and others on some addresses
        msg = "the mail's headers could not be written"
        raise ValueError(msg) from error


def _utf8_message(mail: EmailMessage) -> bytes:
    message = email.message.EmailMessage(policy=email.policy.SMTPUTF8.clone(linesep="\r\n"))
    for name, value in mail.extra_headers.items():
        message[name] = value
    defaults = {
        "From": mail.from_email,
        "To": ", ".join(mail.to),
        "Cc": ", ".join(mail.cc),
        "Reply-To": ", ".join(mail.reply_to),
        "Subject": mail.subject,
        "Date": formatdate(localtime=settings.EMAIL_USE_LOCALTIME),
        "Message-ID": make_msgid(domain=str(DNS_NAME)),
    }
    for name, value in defaults.items():
        if value and name not in message:
            message[name] = value
    message.set_content(mail.body)
    return message.as_bytes()
