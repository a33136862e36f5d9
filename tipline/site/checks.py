"""System checks run by every ``tipline`` command but ``tipline channel`` (which takes no
upload, and whose answer they would bury): a configuration that would put a
reporter's file on a disk in clear stops the server before it serves anyone; one that
leaves uploads uncleaned is named."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.core.checks import Warning as CheckWarning  # not to hide the built-in Warning

from tipline import memory_folder
from tipline.register import sandbox


@register()
def clean_dir_is_memory_backed(**_: Any) -> list[Error]:
    """Uploads are spooled and cleaned in ``TIPLINE_CLEAN_DIR`` before encryption."""
    folder = Path(settings.TIPLINE_CLEAN_DIR)
    if not folder.is_dir():
        return [
            Error(
                f"TIPLINE_CLEAN_DIR {folder} does not exist.",
                hint="Point it at a memory-backed folder (tmpfs), such as /dev/shm.",
                id="tipline.E001",
            )
        ]
    if not memory_folder.memory_backed(folder):
        return [
            Error(
                f"TIPLINE_CLEAN_DIR {folder} is not memory-backed: uploads would rest on a disk in clear "
                "before they are cleaned and encrypted.",
                hint="Point it at a tmpfs, such as /dev/shm, or mount one there.",
                id="tipline.E002",
            )
        ]
    return []


@register()
def outgoing_mail_is_encrypted_beyond_this_machine(**_: Any) -> list[CheckWarning]:
    """Replies carry receipts: in clear only to a relay on this machine."""
    host = str(settings.EMAIL_HOST)
    if settings.TIPLINE_SMTP_SECURITY != "plain" or host == "localhost" or _loopback(host):
        return []
    return [
        CheckWarning(
            f"Outgoing mail, with the receipts of mail reports, goes to {host} without TLS.",
            hint="Set TIPLINE_SMTP_SECURITY to starttls or tls (and TIPLINE_SMTP_USER and TIPLINE_SMTP_PASSWORD or "
            "TIPLINE_SMTP_PASSWORD_FILE if the relay asks), or run a relay on this machine.",
            id="tipline.W005",
        )
    ]


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@register()
def cleaning_sandbox_is_installed(**_: Any) -> list[CheckWarning]:
    """Uploads are parsed only in a bubblewrap sandbox: without bwrap every file is held uncleaned."""
    if sandbox.bwrap_path() is not None:
        return []
    return [
        CheckWarning(
            "bubblewrap (bwrap) is not installed: no attachment can be cleaned of its metadata, "
            "so every reporter's file is held for the reporter to send as it is or drop.",
            hint="Install the Debian package bubblewrap (tools/system-packages.sh run does).",
            id="tipline.W001",
        )
    ]


def _in_data_folder(path: Path | None) -> bool:
    return not settings.TIPLINE_DEMO and path is not None and path.resolve().is_relative_to(settings.DATA_DIR)


@register()
def pepper_is_kept_apart_from_the_data(**_: Any) -> list[CheckWarning]:
    """The pepper makes a stolen database useless for guessing receipts, and the audit key
    makes the audit trail impossible to rebuild, but only if they are not copied with it:
    in the data folder (the default, for the demo) they are."""
    warnings = []
    if _in_data_folder(settings.TIPLINE_PEPPER_FILE):
        warnings.append(
            CheckWarning(
                "The receipt pepper is kept in the data folder, so a copy of that folder (a backup) holds it "
                "beside the database, and receipts can then be guessed offline, one Argon2id each.",
                hint="Set TIPLINE_PEPPER, or TIPLINE_PEPPER_FILE to a file outside TIPLINE_DATA_DIR "
                "(a secret manager or a separate volume), moving the current pepper there.",
                id="tipline.W002",
            )
        )
    if _in_data_folder(settings.TIPLINE_AUDIT_KEY_FILE):
        warnings.append(
            CheckWarning(
                "The audit key is kept in the data folder, so whoever copies or changes that folder can also "
                "rebuild the sealed audit trail.",
                hint="Set TIPLINE_AUDIT_KEY, or TIPLINE_AUDIT_KEY_FILE to a file outside TIPLINE_DATA_DIR, "
                "moving the current key there.",
                id="tipline.W003",
            )
        )
    if _in_data_folder(settings.TIPLINE_TWO_FACTOR_KEY_FILE):
        warnings.append(
            CheckWarning(
                "The two-factor key is kept in the data folder, so a copy of that folder (a backup) can open "
                "the staff's authenticator secrets and test their recovery codes.",
                hint="Set TIPLINE_TWO_FACTOR_KEY, or TIPLINE_TWO_FACTOR_KEY_FILE to a file outside "
                "TIPLINE_DATA_DIR, moving the current key there.",
                id="tipline.W004",
            )
        )
    return warnings


@register()
def reward_keys_are_kept_apart_from_the_data(**_: Any) -> list[CheckWarning]:
    """The rewards key (claim codes, commendation codes, the roll of honour) and the key that
    signs proofs of reporting, like the pepper, are worth little if copied with the database."""
    warnings = []
    if _in_data_folder(settings.TIPLINE_REWARDS_KEY_FILE):
        warnings.append(
            CheckWarning(
                "The rewards key is kept in the data folder, so a copy of that folder (a backup) can test "
                "guesses of cash claim PINs and read the roll of honour's aliases.",
                hint="Set TIPLINE_REWARDS_KEY, or TIPLINE_REWARDS_KEY_FILE to a file outside TIPLINE_DATA_DIR, "
                "moving the current key there.",
                id="tipline.W021",
            )
        )
    if _in_data_folder(settings.TIPLINE_SIGNING_KEY_FILE):
        warnings.append(
            CheckWarning(
                "The key that signs proofs of reporting is kept in the data folder, so whoever copies that "
                "folder can sign statements in the institution's name.",
                hint="Set TIPLINE_SIGNING_KEY, or TIPLINE_SIGNING_KEY_FILE to a file outside TIPLINE_DATA_DIR, "
                "moving the current key there (keep the same key, or issued statements stop verifying).",
                id="tipline.W022",
            )
        )
    return warnings
