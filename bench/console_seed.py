"""Seed a console benchmark database: staff, channels, labels and ``--reports`` reports.

``python -m bench.console_seed --reports 100000`` runs in a child process with
the app's environment (after ``migrate`` and ``seed_demo``) and prints one JSON
object: the log-in details of the two staff members the benchmark uses, the
filter values it can pick from, and what was stored.

The reports look like five years of a busy tip line (volume growing over
time): most are closed, a few thousand open, about a thousand past their
deadline, most worked ones assigned to one of eight handlers, some labelled.
Every report has its own key and answers encrypted under it as the app
encrypts them (a kind of wrongdoing, a text of a few hundred bytes to a few
KB, the other questions), so the queue's subjects are really decrypted; it has
the key grants the app would have made (escrow, every supervisor, the
channel's recipients, the assignee), and the grants of the two staff members
the benchmark logs in are the report key sealed to their public keys, as the
app seals it. The other columns that hold ciphertext, and the grants of staff
the benchmark never logs in, hold random bytes of realistic sizes. Nothing is purged: the channels keep closed reports
for ten years, so all of them are live queue rows.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import secrets
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import django

SPAN_DAYS = 5 * 365
BATCH = 5000
LABELS = (
    "urgent",
    "procurement",
    "health and safety",
    "police referral",
    "media interest",
    "follow-up",
    "duplicate",
    "whistleblower protection",
)
# slug, kind, name, share of reports, who receives every new report
CHANNELS = (
    ("report", "web", "Report wrongdoing", 0.55, "handler"),
    ("procurement", "web", "Public procurement", 0.10, "handler-3"),
    ("mailbox", "mailbox", "Integrity mailbox", 0.12, "bench-handler"),
    ("hotline", "phone", "Telephone hotline", 0.23, "handler-4"),
)
EXTRA_HANDLERS = ("handler-3", "handler-4", "handler-5", "handler-6", "handler-7", "handler-8")
# Status mix by age (days): (upper bound, [(status, probability), ...]); the rest are closed.
STATUS_BY_AGE = (
    (7, [("new", 0.85), ("acknowledged", 0.15)]),
    (30, [("new", 0.04), ("acknowledged", 0.35), ("in_progress", 0.45)]),
    (120, [("acknowledged", 0.03), ("in_progress", 0.15)]),
    (365, [("in_progress", 0.03)]),
    (math.inf, [("in_progress", 0.002)]),
)
ASSIGNED_SHARE = {"new": 0.10, "acknowledged": 0.60, "in_progress": 0.95, "closed": 0.90}


@dataclass(frozen=True)
class Staff:
    username: str
    password: str
    totp_key_hex: str
    pk: int


def _status(rng: random.Random, age_days: float) -> str:
    for limit, mix in STATUS_BY_AGE:
        if age_days < limit:
            draw = rng.random()
            for status, share in mix:
                if draw < share:
                    return status
                draw -= share
            return "closed"
    return "closed"


def _age_days(rng: random.Random) -> float:
    """Half uniform, half skewed to recent: the rate grows from 0.5x to 1.5x the mean."""
    u = rng.random()
    return SPAN_DAYS * (u if rng.random() < 0.5 else 1 - math.sqrt(u))


def _text_size(rng: random.Random) -> int:
    """A description of a few hundred bytes to a few KB (log-uniform)."""
    return int(math.exp(rng.uniform(math.log(300), math.log(6000))))


WORDS = ("the", "of", "payment", "contract", "office", "invoice", "manager", "money", "cash", "tender", "supplier")


def _answers(rng: random.Random, fields: list[dict[str, Any]]) -> dict[str, Any]:
    """Answers to a questionnaire as a reporter gives them: every choice question answered,
    one long text of realistic size, a place, a date and yes/no answers."""
    answers: dict[str, Any] = {}
    for field in fields:
        kind = field["type"]
        if kind == "single_choice":
            answers[field["key"]] = rng.choice(field["choices"])
        elif kind == "multiple_choice":
            answers[field["key"]] = rng.sample(field["choices"], rng.randint(1, len(field["choices"])))
        elif kind == "long_text":
            size = _text_size(rng)
            answers[field["key"]] = " ".join(rng.choice(WORDS) for _ in range(size // 6))[:size]
        elif kind == "short_text":
            answers[field["key"]] = f"Building {rng.randint(1, 40)}, floor {rng.randint(1, 9)}"
        elif kind == "date":
            answers[field["key"]] = f"20{rng.randint(21, 26)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        elif kind == "yes_no":
            answers[field["key"]] = rng.choice(("yes", "no"))
    return answers


def _create_staff() -> tuple[dict[str, Staff], dict[str, int]]:
    from tipline.accounts import services as accounts  # noqa: PLC0415 - Django is set up in main
    from tipline.accounts.models import Role, StaffUser  # noqa: PLC0415
    from tipline.accounts.testing import give_authenticator  # noqa: PLC0415

    logins: dict[str, Staff] = {}
    for username, role in (("bench-supervisor", Role.SUPERVISOR), ("bench-handler", Role.HANDLER)):
        password = secrets.token_urlsafe(18)
        user = accounts.create_staff(
            username=username, password=password, roles=[role], display_name=username, validate=False
        )
        key_hex = secrets.token_hex(20)
        give_authenticator(user, key_hex=key_hex)
        logins[role.value] = Staff(username, password, key_hex, user.pk)
    for username in EXTRA_HANDLERS:
        accounts.create_staff(
            username=username,
            password=secrets.token_urlsafe(18),
            roles=[Role.HANDLER],
            display_name=username.replace("-", " ").title(),
            validate=False,
        )
    ids = dict(StaffUser.objects.values_list("username", "pk"))
    return logins, ids


def _create_channels(ids: dict[str, int]) -> dict[str, tuple[int, int, float, int]]:
    """slug -> (channel id, questionnaire version id, share, recipient id). A channel of
    the seed without a questionnaire of its own records its reports on the demo web
    form's (the phone and mailbox channels' reports are entered on one in the app too)."""
    from tipline.register.models import Channel  # noqa: PLC0415

    Channel.objects.update(retention_days=3650)
    web_form = Channel.objects.get(slug="report").current_questionnaire()
    assert web_form is not None  # seed_demo gives the web channel its form
    out: dict[str, tuple[int, int, float, int]] = {}
    for order, (slug, kind, name, share, recipient) in enumerate(CHANNELS):
        channel, _ = Channel.objects.get_or_create(
            slug=slug, defaults={"kind": kind, "name": name, "order": order, "retention_days": 3650}
        )
        channel.recipients.set([ids[recipient]])
        questionnaire = channel.current_questionnaire() or web_form
        out[slug] = (channel.pk, questionnaire.pk, share, ids[recipient])
    return out


@dataclass
class Plan:
    """Everything the report rows are built from, chosen once."""

    rng: random.Random
    now: datetime
    channels: dict[str, tuple[int, int, float, int]]
    handlers: list[int]
    supervisors: list[int]
    outcomes: list[int]
    labels: list[int]
    # The staff members the benchmark logs in: their grants are really sealed to them.
    public_keys: dict[int, bytes]


def _channel(plan: Plan) -> tuple[int, int, int]:
    draw = plan.rng.random()
    for channel_id, questionnaire_id, share, recipient in plan.channels.values():
        if draw < share:
            return channel_id, questionnaire_id, recipient
        draw -= share
    channel_id, questionnaire_id, _, recipient = list(plan.channels.values())[-1]
    return channel_id, questionnaire_id, recipient


def _report_fields(plan: Plan) -> dict[str, Any]:
    rng, now = plan.rng, plan.now
    age = _age_days(rng)
    created = now - timedelta(days=age, seconds=rng.randrange(86400))
    status = _status(rng, age)
    channel_id, questionnaire_id, recipient = _channel(plan)
    ack_due = created + timedelta(days=7)
    fields: dict[str, Any] = {
        "created_at": created,
        "status": status,
        "channel_id": channel_id,
        "questionnaire_id": questionnaire_id,
        "ack_due_at": ack_due,
        "next_due_at": ack_due if status == "new" else None,
        "last_activity_at": created,
        "recipient": recipient,
    }
    if rng.random() < ASSIGNED_SHARE[status]:
        fields["assignee_id"] = rng.choice(plan.handlers)
    if status != "new":
        acknowledged = min(created + timedelta(hours=rng.uniform(2, 160)), now)
        feedback_due = acknowledged + timedelta(days=91)
        fields.update(acknowledged_at=acknowledged, feedback_due_at=feedback_due, last_activity_at=acknowledged)
        if status == "closed":
            closed = min(acknowledged + timedelta(days=rng.uniform(3, 200)), now)
            fields.update(closed_at=closed, last_activity_at=closed, outcome_id=rng.choice(plan.outcomes))
        else:
            fields["next_due_at"] = feedback_due
    return fields


def _reports(plan: Plan, count: int) -> list[dict[str, Any]]:
    rows = [_report_fields(plan) for _ in range(count)]
    rows.sort(key=lambda row: row["created_at"])  # inserted in the order they arrived
    return rows


def _batches(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def _insert(table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> int:
    """Plain ``executemany``: key grants and label links are many and carry nothing to compute."""
    from django.db import connection  # noqa: PLC0415

    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {connection.ops.quote_name(table)} ({names}) VALUES ({marks})", rows)  # noqa: S608
    return len(rows)


def _store(plan: Plan, rows: list[dict[str, Any]]) -> dict[str, int]:
    from django.db import connection, transaction  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    from tipline.crypto import boxes  # noqa: PLC0415
    from tipline.register.models import QuestionnaireVersion, Report, ReportKeyGrant, new_reference  # noqa: PLC0415
    from tipline.register.services.content import answers_ciphertext  # noqa: PLC0415

    rng = plan.rng
    versions = QuestionnaireVersion.objects.in_bulk({version for _, version, _, _ in plan.channels.values()})
    links_table = Report.labels.through._meta.db_table
    grants_table = ReportKeyGrant._meta.db_table
    granted_at = connection.ops.adapt_datetimefield_value(timezone.now())
    counts = {"reports": 0, "key_grants": 0, "label_links": 0}
    with transaction.atomic():
        for batch in _batches(rows):
            keys = [boxes.new_key() for _ in batch]
            reports = []
            for row, key in zip(batch, keys, strict=True):
                reference = new_reference()
                version = versions[row["questionnaire_id"]]
                answers = _answers(rng, version.fields)
                reports.append(
                    Report(
                        reference=reference,
                        lookup_id=rng.randbytes(32),
                        receipt_wrapped_key=rng.randbytes(72),
                        answers_ct=answers_ciphertext(
                            reference=reference, questionnaire_number=version.number, answers=answers, report_key=key
                        ),
                        identity_ct=rng.randbytes(360) if rng.random() < 0.15 else None,
                        **{k: v for k, v in row.items() if k != "recipient"},
                    )
                )
            Report.objects.bulk_create(reports)
            grants: list[tuple[Any, ...]] = []
            links: list[tuple[int, int]] = []
            for report, row, key in zip(reports, batch, keys, strict=True):
                holders = [None, *sorted({*plan.supervisors, row["recipient"], row.get("assignee_id")} - {None})]
                grants += [
                    (
                        report.pk,
                        user,
                        boxes.seal(plan.public_keys[user], key) if user in plan.public_keys else rng.randbytes(80),
                        granted_at,
                    )
                    for user in holders
                ]
                draw = rng.random()
                if draw < 0.20:
                    links += [(report.pk, label) for label in rng.sample(plan.labels, 2 if draw < 0.05 else 1)]
            counts["reports"] += len(reports)
            counts["key_grants"] += _insert(grants_table, ("report_id", "user_id", "sealed_key", "created_at"), grants)
            counts["label_links"] += _insert(links_table, ("report_id", "label_id"), links)
    return counts


def _planner_statistics() -> str:
    """What the app's worker does (``PRAGMA optimize``), or ``VACUUM ANALYZE`` on PostgreSQL
    (what autovacuum does after a bulk load); ``ANALYZE`` where optimize left a table out."""
    from django.db import connection  # noqa: PLC0415

    from tipline.register.models import Report  # noqa: PLC0415

    if connection.vendor != "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        return "VACUUM ANALYZE"
    # The worker's connection has run queue-like queries before its 6-hourly optimize.
    list(Report.objects.live().order_by("-created_at")[:51])
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA optimize")
        cursor.execute("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'register_report'")
        analysed = cursor.fetchone()[0]
        if analysed:
            return "PRAGMA optimize"
        cursor.execute("ANALYZE")
    return "ANALYZE (PRAGMA optimize on a fresh connection left register_report without statistics)"


def seed(count: int, seed_value: int) -> dict[str, Any]:
    from django.utils import timezone  # noqa: PLC0415

    from tipline.accounts.models import Role, StaffKey, StaffUser  # noqa: PLC0415
    from tipline.register.models import Label, Outcome, Report  # noqa: PLC0415

    began = time.perf_counter()
    logins, ids = _create_staff()
    channels = _create_channels(ids)
    labels = [Label.objects.get_or_create(name=name)[0].pk for name in LABELS]
    plan = Plan(
        rng=random.Random(seed_value),
        now=timezone.now(),
        channels=channels,
        handlers=sorted(StaffUser.objects.filter(role_grants__role=Role.HANDLER).values_list("pk", flat=True)),
        supervisors=sorted(StaffUser.objects.filter(role_grants__role=Role.SUPERVISOR).values_list("pk", flat=True)),
        outcomes=list(Outcome.objects.values_list("pk", flat=True)),
        labels=labels,
        public_keys={
            user_id: bytes(public_key)
            for user_id, public_key in StaffKey.objects.filter(
                user_id__in=[staff.pk for staff in logins.values()]
            ).values_list("user_id", "public_key")
        },
    )
    staff_seconds = time.perf_counter() - began
    rows = _reports(plan, count)
    counts = _store(plan, rows)
    stored_seconds = time.perf_counter() - began
    statistics = _planner_statistics()
    live = Report.objects.live()
    handler_id = logins[Role.HANDLER.value].pk
    summary = {
        **counts,
        "open": live.open().count(),
        "new": live.filter(status="new").count(),
        "overdue": live.overdue().count(),
        "assigned": live.filter(assignee__isnull=False).count(),
        "labelled": live.filter(labels__isnull=False).distinct().count(),
        "visible_to_handler": live.filter(key_grants__user_id=handler_id).count(),
        "oldest": min(r["created_at"] for r in rows).date().isoformat() if rows else None,
    }
    return {
        "logins": {role: vars(staff) for role, staff in logins.items()},
        "channels": [channel_id for channel_id, *_ in channels.values()],
        "labels": labels,
        "stored": summary,
        "planner_statistics": statistics,
        "seconds": {
            "staff_and_channels": round(staff_seconds, 1),
            "reports_and_grants": round(stored_seconds - staff_seconds, 1),
            "planner_statistics": round(time.perf_counter() - began - stored_seconds, 1),
        },
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.console_seed", description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20191937)
    options = parser.parse_args(argv)
    django.setup()
    print(json.dumps(seed(options.reports, options.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
