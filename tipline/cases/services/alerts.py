"""Alerts: telling staff that something waits in the console, without saying what.

An alert carries no content and no reference, not even the channel: only counts, and a
link to the log-in page. The counts are computed from the state of the register (what
is new, unread, due, held) when the mail is written, so a mail that fails loses nothing.

Each staff member chooses (:class:`AlertPreference`): a digest at the fixed times of
``TIPLINE_ALERT_DIGEST_TIMES`` (the default), immediate alerts, or none. The digest goes
to every opted-in person at every slot whether anything happened or not, and every alert
mail is padded to the same size, so that mail traffic does not tell when reports arrive.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from tipline.accounts.models import Role, StaffUser
from tipline.audit import services as audit
from tipline.cases import selectors
from tipline.cases.models import AlertPreference, ReportSeen
from tipline.cases.permissions import roles_of
from tipline.register.models import REPORTERS_OWN, Message, Report

# A deadline this close (or passed) is counted as coming.
DUE_SOON = timedelta(days=2)
# Every alert body is padded to this many bytes (or, for a long translation, to the next
# multiple of PAD_STEP), so that its size says nothing about its counts.
BODY_BYTES = 2048
PAD_STEP = 512
# A count is shown up to this; more is shown as this number and "+".
MAX_SHOWN = 9999
# The roles that work reports and hear about them.
ALERT_ROLES = frozenset({Role.HANDLER, Role.SUPERVISOR})
Mode = AlertPreference.Mode


@dataclass(frozen=True)
class AlertCounts:
    """What waits for one person: never which report, only how many."""

    new: int
    replies: int
    due: int
    held: int

    def as_text(self) -> str:
        return f"{self.new},{self.replies},{self.due},{self.held}"

    @classmethod
    def from_text(cls, text: str) -> AlertCounts | None:
        parts = text.split(",")
        if len(parts) != 4 or not all(p.isdigit() for p in parts):
            return None
        return cls(*(int(p) for p in parts))

    def grew_since(self, before: AlertCounts | None) -> bool:
        """True when something arrived since ``before`` (a count went up)."""
        if before is None:
            return any((self.new, self.replies, self.due, self.held))
        return (
            self.new > before.new or self.replies > before.replies or self.due > before.due or self.held > before.held
        )


def mode_of(user: StaffUser) -> str:
    preference = AlertPreference.objects.filter(user=user).values_list("mode", flat=True).first()
    return preference or Mode.DIGEST


def set_alert_mode(*, user: StaffUser, mode: str) -> None:
    """Record how ``user`` wants to hear about new work (their own choice, audited)."""
    if mode not in Mode.values:
        raise ValueError(mode)
    AlertPreference.objects.update_or_create(user=user, defaults={"mode": mode, "last_counts": ""})
    audit.record(action="alerts.preference", actor=user, detail={"mode": mode})


def may_receive_alerts(user: StaffUser) -> bool:
    return bool(user.is_active and user.email and roles_of(user) & ALERT_ROLES)


def recipients(*, mode: str) -> list[StaffUser]:
    """Active staff who work reports, have an address, and chose ``mode`` (digest is the default)."""
    people = (
        StaffUser.objects.filter(is_active=True, role_grants__role__in=ALERT_ROLES)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
    chosen = dict(AlertPreference.objects.values_list("user_id", "mode"))
    return [person for person in people if chosen.get(person.pk, Mode.DIGEST) == mode]


def alert_counts(*, user: StaffUser, now: datetime | None = None) -> AlertCounts:
    """Count what waits for ``user`` among the reports they may see (exclusions respected):
    new reports (not yet opened by a person), reporters' messages they have not read
    (reports they opened, or that are assigned to them), deadlines within two days or
    passed (theirs; for supervisors also the unassigned ones), and held reports (supervisors)."""
    now = now or timezone.now()
    visible = selectors.visible_reports(user)
    live_open = visible.open()
    supervisor = Role.SUPERVISOR in roles_of(user)
    reporter_since_seen = Message.objects.filter(
        REPORTERS_OWN, report_id=OuterRef("report_id"), created_at__gt=OuterRef("seen_at")
    )
    replied_seen = (
        ReportSeen.objects.filter(user=user, report__in=live_open.exclude(status=Report.Status.NEW))
        .filter(Exists(reporter_since_seen))
        .count()
    )
    replied_unseen = (
        live_open.filter(assignee=user)
        .exclude(status=Report.Status.NEW)
        .exclude(Exists(ReportSeen.objects.filter(user=user, report_id=OuterRef("pk"))))
        .filter(Exists(Message.objects.filter(REPORTERS_OWN, report_id=OuterRef("pk"))))
        .count()
    )
    mine = Q(assignee=user) | Q(assignee__isnull=True) if supervisor else Q(assignee=user)
    return AlertCounts(
        new=live_open.filter(status=Report.Status.NEW).count(),
        replies=replied_seen + replied_unseen,
        due=live_open.filter(mine, next_due_at__lt=now + DUE_SOON).count(),
        held=visible.exclude(quarantine="").count() if supervisor else 0,
    )


def _shown(count: int) -> str:
    """A count in a fixed width (five characters), so every alert has the same length."""
    return f"{MAX_SHOWN}+" if count > MAX_SHOWN else f"{count:>5}"


def pad_body(text: str) -> str:
    """``text`` and a padding of full stops, to exactly :data:`BODY_BYTES` bytes of UTF-8
    (or the next multiple of :data:`PAD_STEP` for a longer text). Lines stay short."""
    head = f"{text}\n\n"
    size = len(head.encode())
    target = BODY_BYTES if size <= BODY_BYTES else math.ceil(size / PAD_STEP) * PAD_STEP
    filler, lines = target - size, []
    while filler > 0:
        width = min(71, filler)  # up to 70 full stops and the line's end
        lines.append("." * (width - 1) + "\n")
        filler -= width
    return head + "".join(lines)


def render_alert(*, kind: str, counts: AlertCounts) -> tuple[str, str]:
    """Subject and padded body of an alert (``digest`` or ``immediate``)."""
    context = {
        "kind": kind,
        "new": _shown(counts.new),
        "replies": _shown(counts.replies),
        "due": _shown(counts.due),
        "held": _shown(counts.held),
        "login_url": settings.TIPLINE_SITE_URL + reverse("accounts:login"),
        "settings_url": settings.TIPLINE_SITE_URL + reverse("cases:alerts"),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("cases/email/alert_subject.txt", context).strip()
        body = render_to_string("cases/email/alert_body.txt", context).strip()
    return subject, pad_body(body)


def send_alert(*, user: StaffUser, kind: str, now: datetime | None = None) -> bool:
    """Write and send one alert to ``user`` from the state now; audited without content.
    False when ``user`` may no longer receive alerts."""
    if not may_receive_alerts(user):
        return False
    subject, body = render_alert(kind=kind, counts=alert_counts(user=user, now=now))
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    # A Message-ID of a fixed length, unlike the default (time and process id).
    headers = {"Message-ID": f"<{secrets.token_hex(16)}@{domain}>"}
    EmailMessage(subject=subject, body=body, to=[user.email], headers=headers).send()
    audit.record(action="alerts.sent", detail={"to": user.username, "kind": kind})
    return True


def queue_digest(*, slot: str) -> int:
    """Queue this slot's digest for every person who chose it (the caller's transaction)."""
    from tipline.jobs.services import enqueue  # noqa: PLC0415 - jobs registers handlers from cases

    people = recipients(mode=Mode.DIGEST)
    for person in people:
        enqueue(kind="cases.alert_mail", payload={"user_id": person.pk, "kind": "digest", "slot": slot})
    return len(people)


def queue_immediate(*, now: datetime | None = None) -> int:
    """Queue an immediate alert for each person who chose them and for whom something
    arrived since their last one (a count went up); remember the counts."""
    from tipline.jobs.services import enqueue  # noqa: PLC0415 - jobs registers handlers from cases

    queued = 0
    for person in recipients(mode=Mode.IMMEDIATE):
        counts = alert_counts(user=person, now=now)
        preference, _ = AlertPreference.objects.get_or_create(user=person)
        if counts.grew_since(AlertCounts.from_text(preference.last_counts)):
            enqueue(kind="cases.alert_mail", payload={"user_id": person.pk, "kind": "immediate"})
            queued += 1
        if preference.last_counts != counts.as_text():
            preference.last_counts = counts.as_text()
            preference.save(update_fields=["last_counts", "updated_at"])
    return queued
