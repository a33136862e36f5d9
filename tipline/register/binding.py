"""Where each ciphertext of a report belongs: the associated data that binds it to its row.

Every ciphertext of a report is encrypted with its kind and its row as associated data
(:func:`tipline.crypto.boxes.encrypt` with ``context``), so whoever can write to the
database cannot move a message to another message's place, turn a reporter's message into
a handler's, or pass one report's answers off as another's: the moved ciphertext no longer
opens. Rows written before binding existed stay readable (see ``boxes.decrypt``).

A row whose context holds its own primary key is inserted first with an empty ciphertext
and sealed in the same transaction (:func:`seal_into`).
"""

from __future__ import annotations

import logging

from django.db import models
from django.utils.translation import gettext as _

from tipline.crypto import boxes
from tipline.crypto.errors import DecryptionFailed

log = logging.getLogger(__name__)


def context(kind: str, *place: object) -> bytes:
    """The associated data of one ciphertext: its kind, then what identifies its row."""
    return "\x1f".join(["tipline", kind, *(str(part) for part in place)]).encode()


def answers(*, reference: str) -> bytes:
    return context("answers", reference)


def identity(*, reference: str) -> bytes:
    return context("identity", reference)


def reply_address(*, reference: str) -> bytes:
    return context("reply-address", reference)


def receipt_key(*, reference: str) -> bytes:
    return context("receipt-key", reference)


def message(*, reference: str, message_id: int, from_staff: bool) -> bytes:
    return context("message", reference, message_id, "staff" if from_staff else "reporter")


def disclosure(*, reference: str, request_id: int) -> bytes:
    return context("disclosure", reference, request_id)


def note(*, reference: str, note_id: int, kind: str) -> bytes:
    return context("note", reference, note_id, kind)


def transcript(*, reference: str, transcript_id: int, correction: bool = False) -> bytes:
    return context("transcript-correction" if correction else "transcript", reference, transcript_id)


def file_meta(*, blob: str) -> bytes:
    """A file's description; the blob name is random and unique, so it names the row."""
    return context("file-meta", blob)


def file_stream(*, blob: str) -> bytes:
    return context("file", blob)


def open_text(key: bytes, ciphertext: bytes, *, place: bytes) -> str:
    """A sealed text of a conversation or a case, or a notice in its stead when it does not
    open in this place (changed or moved in the database): the rest of the page still shows."""
    try:
        return boxes.decrypt(key, ciphertext, context=place).decode()
    except DecryptionFailed:
        log.warning("A sealed text did not open in its place (%s): changed or moved in the database", _where(place))
        return _(
            "[This text could not be decrypted: it was changed or moved in the database. Tell your administrator.]"
        )


def _where(place: bytes) -> str:
    return place.decode(errors="replace").replace("\x1f", " ")


def seal_into(row: models.Model, *, field: str, key: bytes, plaintext: bytes, place: bytes) -> None:
    """Encrypt ``plaintext`` bound to ``place`` into ``row.field`` and save that field only
    (the caller's transaction covers the insert and this update together)."""
    setattr(row, field, boxes.encrypt(key, plaintext, context=place))
    row.save(update_fields=[field])
