"""Bank details, a PIN and an alias given in the portal rest nowhere in clear: markers are
in no database row, no `dumpdata` output, no stored file and no log line, before and after
the payment."""

from __future__ import annotations

import io
import logging
import secrets
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from tipline.accounts.testing import login_staff
from tipline.conftest import PASSWORD
from tipline.rewards import services
from tipline.rewards.models import Reward
from tipline.rewards.tests.conftest import Rewards, portal_login, post
from tipline.testing import database_text


def _dump() -> bytes:
    out = io.StringIO()
    call_command("dumpdata", stdout=out)
    return out.getvalue().encode()


def _files() -> bytes:
    roots = [Path(urlsplit(settings.TIPLINE_STORAGE_URL).path), Path(settings.DATA_DIR)]
    return b"\n".join(p.read_bytes() for root in roots if root.exists() for p in root.rglob("*") if p.is_file())


def _assert_nowhere(markers: list[str], caplog: pytest.LogCaptureFixture) -> None:
    database, dump, files = database_text(), _dump(), _files()
    logs = "\n".join(record.getMessage() for record in caplog.records)
    assert b"reward" in database  # the scan reads the tables
    for marker in markers:
        assert marker.encode() not in database, f"{marker} in the database"
        assert marker.encode() not in dump, f"{marker} in the dump"
        assert marker.encode() not in files, f"{marker} in a stored file"
        assert marker not in logs, f"{marker} in the log"


def test_bank_details_pin_and_alias_rest_nowhere_in_clear(rw: Rewards, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    bank = f"IBAN{secrets.token_hex(8).upper()}"
    alias = f"ALIAS{secrets.token_hex(6)}"
    pin = str(10**11 + secrets.randbelow(9 * 10**11))  # 12 digits: a chance match in the dump is unlikely
    reason = f"REASON{secrets.token_hex(6)}"  # staff are told to keep details out; it is sealed all the same
    first = services.approve_reward(
        reward=services.propose_reward(report=rw.report, by=rw.org.handler, amount=500, reason=reason), by=rw.officer
    )
    assert Reward.objects.get(pk=first.pk).reason == reason
    services.offer_commendation(report=rw.report, by=rw.officer)
    reporter = Client(enforce_csrf_checks=True)
    portal_login(reporter, rw.receipt)
    reporter.get("/portal/rewards/")
    claimed = post(
        reporter,
        f"/portal/rewards/{first.pk}/claim/",
        {f"r{first.pk}-method": "bank", f"r{first.pk}-bank_details": bank},
    )
    assert claimed.status_code == 302  # type: ignore[attr-defined]
    consent = post(reporter, "/portal/commendation/", {"decision": "accept", "alias": alias, "on_roll": "on"})
    assert consent.status_code == 302  # type: ignore[attr-defined]
    _assert_nowhere([bank, alias, reason], caplog)

    officer = Client(enforce_csrf_checks=True)
    login_staff(officer, "officer", PASSWORD)
    officer.get("/console/rewards/")
    assert bank in post(officer, f"/console/rewards/{first.pk}/bank/", {}).content.decode()  # type: ignore[attr-defined]
    paid = post(officer, f"/console/rewards/{first.pk}/pay/", {"reference": "TX-1", "paid_on": "2026-12-01"})
    assert paid.status_code == 302  # type: ignore[attr-defined]
    assert Reward.objects.get(pk=first.pk).bank_ct is None
    _assert_nowhere([bank, alias], caplog)

    # A cash claim on a second report: the PIN is only ever an Argon2id hash.
    from tipline.rewards.tests.conftest import closed_report

    report, receipt, _ = closed_report(rw.org, what="Second")
    second = services.approve_reward(
        reward=services.propose_reward(report=report, by=rw.org.handler, amount=300, reason="x"), by=rw.officer
    )
    other = Client(enforce_csrf_checks=True)
    portal_login(other, receipt)
    other.get("/portal/rewards/")
    post(other, f"/portal/rewards/{second.pk}/claim/", {f"r{second.pk}-method": "cash", f"r{second.pk}-pin": pin})
    assert Reward.objects.get(pk=second.pk).state == Reward.State.CLAIMED
    _assert_nowhere([bank, alias, pin], caplog)
