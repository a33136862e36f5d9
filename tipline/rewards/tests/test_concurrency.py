"""Two claims of one award at the same moment, from two processes that share nothing but the
database (SQLite, or PostgreSQL when the suite runs on it): one wins, the other is refused,
and the award is claimed once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection

SETUP = """
import os, django
os.environ["DJANGO_SETTINGS_MODULE"] = "tipline.settings"
django.setup()
from tipline.accounts import services as accounts
from tipline.accounts.models import Role
from tipline.cases.services import workflow
from tipline.register import services as register
from tipline.register.models import Channel, Outcome, Question, FieldType
from tipline.rewards import services
from tipline.rewards.models import RewardPolicy
P = "correct horse battery staple"
_, escrow = accounts.create_organisation(name="Race Office")
sup = accounts.create_staff(username="sup", password=P, roles=[Role.SUPERVISOR])
officer = accounts.create_staff(username="officer", password=P, roles=[Role.REWARD_OFFICER])
channel = Channel.objects.create(slug="web", name="Web", description="d")
Question.objects.create(
    channel=channel, order=0, key="what", field_type=FieldType.LONG_TEXT, label="What?", required=True
)
register.publish_questionnaire(channel=channel)
policy = RewardPolicy.objects.create(channel=channel, causes="Red Cross")
policy.eligible_outcomes.add(Outcome.objects.get(code="substantiated"))
sub = register.create_report(channel=channel, questionnaire=channel.current_questionnaire(), answers={"what": "x"})
key = accounts.unlock_private_key(user=sup, password=P)
workflow.acknowledge_report(report=sub.report, by=sup, private_key=key)
substantiated = Outcome.objects.get(code="substantiated")
workflow.close_report(report=sub.report, by=sup, private_key=key, outcome=substantiated, reason="ok")
reward = services.propose_reward(report=sub.report, by=sup, amount=500, reason="r")
services.approve_reward(reward=reward, by=officer)
print(sub.receipt, reward.pk)
"""

CLAIM = """
import os, sys, time, django
os.environ["DJANGO_SETTINGS_MODULE"] = "tipline.settings"
django.setup()
from tipline.register import services as register
from tipline.rewards import services
from tipline.rewards.exceptions import RewardError
receipt, reward_id, start, method = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
report, key = register.open_with_receipt(receipt_text=receipt, client_tag=method)
time.sleep(max(0.0, start - time.time()))
try:
    services.claim_reward(report=report, report_key=key, reward_id=reward_id, method=method, cause="Red Cross",
                          bank_details="IBAN X")
except RewardError as error:
    print("refused", type(error).__name__)
else:
    print("claimed")
"""


PAY = """
import os, sys, time, datetime, django
os.environ["DJANGO_SETTINGS_MODULE"] = "tipline.settings"
django.setup()
from tipline.accounts.models import StaffUser
from tipline.rewards import services
from tipline.rewards.exceptions import RewardError
from tipline.rewards.models import Reward
reward_id, start, reference = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
officer, reward = StaffUser.objects.get(username="officer"), Reward.objects.get(pk=reward_id)
time.sleep(max(0.0, start - time.time()))
try:
    services.record_payment(reward=reward, by=officer, reference=reference, paid_on=datetime.date(2026, 12, 1))
except RewardError as error:
    print("refused", type(error).__name__)
else:
    print("paid")
"""


def _at_once(env: dict[str, str], script: str, argument_lists: list[list[str]]) -> list[str]:
    processes = [
        subprocess.Popen([sys.executable, "-c", script, *arguments], env=env, stdout=subprocess.PIPE, text=True)
        for arguments in argument_lists
    ]
    results = []
    for process in processes:
        out, _ = process.communicate(timeout=180)
        assert process.returncode == 0
        results.append(out.strip().splitlines()[-1])
    return results


@pytest.fixture
def shared_database(tmp_path: Path) -> Iterator[str]:
    """A database of its own (the suite's may live in one process's memory), migrated."""
    if connection.vendor == "postgresql":
        server = os.environ["TIPLINE_TEST_PG_URL"]
        name = f"tipline_rewards_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        url = f"{server.rsplit('/', 1)[0]}/{name}"
    else:
        url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    env = {**os.environ, "TIPLINE_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "tipline", "migrate", "-v0"], env=env, check=True)
    yield url
    if connection.vendor == "postgresql":
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def test_two_claims_at_once_claim_the_award_once(shared_database: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TIPLINE_DATABASE_URL": shared_database,
        "TIPLINE_KDF_SLOTS": "0",
        "TIPLINE_STORAGE_URL": f"file://{tmp_path / 'store'}",
    }
    setup = subprocess.run([sys.executable, "-c", SETUP], env=env, check=True, capture_output=True, text=True)
    receipt, reward_id = setup.stdout.split()[-2:]
    start = str(time.time() + 4)
    results = _at_once(env, CLAIM, [[receipt, reward_id, start, method] for method in ("donation", "bank")])
    assert sorted(results) == ["claimed", "refused WrongState"], results
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'tipline.settings'; django.setup()\n"
            "from tipline.rewards.models import Reward, RewardSeal\n"
            "from tipline.audit.models import AuditEntry\n"
            "r = Reward.objects.get()\n"
            "print(r.state, AuditEntry.objects.filter(action='reward.claimed').count(),"
            " RewardSeal.objects.count() if r.method == 'bank' else 0)",
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    state, claims, _ = check.stdout.split()
    assert (state, claims) == ("claimed", "1")

    # Two officers record the payment at the same moment: it is paid once.
    start = str(time.time() + 3)
    paid = _at_once(env, PAY, [[reward_id, start, reference] for reference in ("TX-A", "TX-B")])
    assert sorted(paid) == ["paid", "refused WrongState"], paid
