"""Mail written to a reporter (the reply to a mail report, a handler's answer by e-mail):
nothing tells which site language they read, so each text is written in every site
language, the default one first; and it reaches an address written beyond ASCII."""

from __future__ import annotations

import email.message
import email.policy
import smtplib
from collections.abc import Callable
from email.utils import formatdate, make_msgid

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import sanitize_address
from django.core.mail.utils import DNS_NAME
from django.urls import reverse
from django.utils import translation

from tipline.local_text import default_language, other_languages

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


def send(mail: EmailMessage, *, backend: BaseEmailBackend, null_sender: bool = False) -> None:
    """Send ``mail`` on ``backend``'s session (opened if it is not), raising what stopped it.

    On an SMTP session, ``null_sender`` sends it with an empty return path (``MAIL FROM:<>``,
    RFC 3834), so that no server bounces an automatic reply back into the mailbox. A
    recipient whose name before the ``@`` is written beyond ASCII (``张伟@example.cn``, RFC
    6531) gets the mail as their address is written, with SMTPUTF8; a server that does not
    offer it refuses (``SMTPNotSupportedError``, an ``OSError``), where Django's own sending
    would address an encoded word that no server delivers. Another backend (the tests'
    memory) sends it as it does.
    """
    backend.open()
    session = getattr(backend, "connection", None)
    if not isinstance(session, smtplib.SMTP):
        backend.send_messages([mail])
        return
    encoding = mail.encoding or settings.DEFAULT_CHARSET
    sender = "" if null_sender else sanitize_address(mail.from_email, encoding)
    recipients = mail.recipients()
    if all(address.rpartition("@")[0].isascii() for address in recipients):
        addresses = [sanitize_address(address, encoding) for address in recipients]
        session.sendmail(sender, addresses, mail.message().as_bytes(linesep="\r\n"))
        return
    session.sendmail(sender, recipients, _internationalised(mail), mail_options=["SMTPUTF8"])


def _internationalised(mail: EmailMessage) -> bytes:
    """``mail`` (text, no attachments, as Tipline writes to reporters) with its headers in
    UTF-8 as they are, for a session with SMTPUTF8."""
    if mail.attachments or getattr(mail, "alternatives", None):
        msg = "only a text mail is sent to an internationalised address"
        raise ValueError(msg)
    message = email.message.EmailMessage(policy=email.policy.SMTPUTF8.clone(linesep="\r\n"))
    message["From"] = mail.from_email
    message["To"] = ", ".join(mail.to)
    if mail.cc:
        message["Cc"] = ", ".join(mail.cc)
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=settings.EMAIL_USE_LOCALTIME)
    message["Message-ID"] = make_msgid(domain=str(DNS_NAME))
    for name, value in mail.extra_headers.items():
        message[name] = value
    message.set_content(mail.body)
    return message.as_bytes()
