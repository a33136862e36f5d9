"""The queue: which reports a staff member sees, filtered and sorted, with counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tipline.accounts.models import Role, StaffUser
from tipline.audit.models import AuditEntry
from tipline.cases.exceptions import NoAccess
from tipline.cases.models import Exclusion, ReportSeen
from tipline.cases.permissions import roles_of
from tipline.register import keyring
from tipline.register.models import Message, Report, ReportQuerySet

SORTS = {
    "newest": ("-created_at",),
    "oldest": ("created_at",),
    "due": ("next_due_at",),
    "status": ("status", "-created_at"),
}


@dataclass(frozen=True)
class QueueCounts:
    new: int
    overdue: int
    # Reports whose reporter said, in the portal, that they face retaliation.
    retaliation: int = 0


def visible_reports(user: StaffUser) -> ReportQuerySet:
    """Supervisors and admins see every report's metadata (minus exclusions); handlers
    see the reports they hold a key to."""
    roles = roles_of(user)
    reports = Report.objects.live()
    if roles & {Role.SUPERVISOR, Role.ADMIN}:
        excluded = list(Exclusion.objects.filter(user=user).values_list("report_id", flat=True))
        return reports.exclude(pk__in=excluded) if excluded else reports
    if Role.HANDLER in roles:
        return reports.filter(keyring.report_key_held_by(user=user))
    return reports.none()


def audit_entries(*, user: StaffUser, reference: str | None = None) -> QuerySet[AuditEntry]:
    """The audit trail as ``user`` may see it: nothing about a report they are excluded
    from, neither its own entries (its trail is refused with :class:`NoAccess`) nor
    another report's entries that name it (a link to it)."""
    excluded = list(Report.objects.filter(exclusions__user=user).values_list("reference", flat=True))
    if reference is not None and reference in excluded:
        raise NoAccess
    entries = AuditEntry.objects.select_related("actor").order_by("-seq")
    if reference is not None:
        return entries.filter(report_ref=reference)
    if excluded:
        # has_key first: for an entry without a target, "target in …" is NULL and NOT NULL
        # would drop it too.
        names_one = Q(detail__has_key="target") & Q(detail__target__in=excluded)
        entries = entries.exclude(report_ref__in=excluded).exclude(names_one)
    return entries


def _aware(day: date, end: bool) -> datetime:
    """The start (or end) of a local day as a UTC time. The first and last days a date can
    hold fall outside what a UTC time can hold in zones east (or west) of UTC: those are
    clamped to the earliest (or latest) time, which is what such a bound means."""
    local = timezone.make_aware(datetime.combine(day, time.max if end else time.min))
    try:
        return local.astimezone(UTC)
    except OverflowError:
        return (datetime.max if end else datetime.min).replace(tzinfo=UTC)


def filter_queue(reports: ReportQuerySet, filters: dict[str, Any], *, user: StaffUser) -> ReportQuerySet:
    """Apply the cleaned filters of the queue form."""
    if reference := filters.get("reference"):
        reports = reports.filter(reference=reference)
    if status := filters.get("status"):
        reports = reports.filter(status=status)
    if channel := filters.get("channel"):
        reports = reports.filter(channel=channel)
    if label := filters.get("label"):
        # A semi-join, not a join: the planner can start from the label's few links.
        labelled = Report.labels.through.objects.filter(report_id=OuterRef("pk"), label_id=label.pk)
        reports = reports.filter(Exists(labelled))
    assignee = filters.get("assignee")
    if assignee == "me":
        reports = reports.filter(assignee=user)
    elif assignee == "none":
        reports = reports.filter(assignee__isnull=True)
    elif assignee:
        reports = reports.filter(assignee_id=int(assignee))
    if filters.get("overdue"):
        reports = reports.overdue()
    if start := filters.get("received_from"):
        reports = reports.filter(created_at__gte=_aware(start, end=False))
    if end := filters.get("received_to"):
        reports = reports.filter(created_at__lte=_aware(end, end=True))
    sort = filters.get("sort") or "newest"
    if sort == "due":  # only reports that have a deadline; closed ones have none
        reports = reports.filter(next_due_at__isnull=False)
    return reports.order_by(*SORTS.get(sort, SORTS["newest"]))


# Encrypted columns a list of reports never shows: not read from the database for one.
CIPHERTEXT_FIELDS = ("lookup_id", "receipt_wrapped_key", "answers_ct", "identity_ct")


def queue_rows(reports: ReportQuerySet) -> ReportQuerySet:
    """What a queue page or an export reads of each report: the clear metadata and the
    channel and assignee, without the ciphertext."""
    return reports.select_related("channel", "assignee").prefetch_related("labels").defer(*CIPHERTEXT_FIELDS)


# The queue counts its matching reports up to this many: past it the page says "more
# than", so that counting never reads a whole large table.
COUNT_LIMIT = 1_000


def bounded_count(reports: ReportQuerySet) -> tuple[int, bool]:
    """How many reports match, counted up to :data:`COUNT_LIMIT`; True when there are more."""
    found = reports.order_by()[: COUNT_LIMIT + 1].count()
    return min(found, COUNT_LIMIT), found > COUNT_LIMIT


@dataclass(frozen=True)
class Deadline:
    """The deadline that applies now: which one, when, and how many local days are left
    (negative once it has passed)."""

    kind: Promise
    due_at: datetime
    days_left: int

    @property
    def is_overdue(self) -> bool:
        return self.due_at < timezone.now()

    @property
    def days_overdue(self) -> int:
        return max(0, -self.days_left)


def next_deadline(report: Report, *, today: date | None = None) -> Deadline | None:
    """Which deadline ``report.next_due_at`` is, from the report's own clear metadata."""
    if report.next_due_at is None or report.status == Report.Status.CLOSED:
        return None
    if report.status == Report.Status.NEW and report.acknowledged_at is None:
        kind = _("acknowledgement")
    elif report.status == Report.Status.NEW:
        kind = _("first reading")  # acknowledged automatically; nobody has opened it yet
    else:
        kind = _("feedback")
    today = today or timezone.localdate()
    days = (timezone.localtime(report.next_due_at).date() - today).days
    return Deadline(kind=kind, due_at=report.next_due_at, days_left=days)


@dataclass(frozen=True)
class RowMarks:
    """What the queue shows of a report for one viewer besides its metadata."""

    unread: bool
    replied: bool
    deadline: Deadline | None


def mark_rows(rows: list[Report], *, user: StaffUser) -> dict[int, RowMarks]:
    """Unread, "reporter replied" and the next deadline for one page of the queue, in two
    queries whatever the page holds (the page's rows only, by primary key)."""
    ids = [row.pk for row in rows]
    seen = dict(ReportSeen.objects.filter(user=user, report_id__in=ids).values_list("report_id", "seen_at"))
    last = {
        item["report_id"]: item
        for item in Message.objects.filter(report_id__in=ids)
        .values("report_id")
        .annotate(
            reporter=Max("created_at", filter=Q(from_staff=False)), staff=Max("created_at", filter=Q(from_staff=True))
        )
    }
    today = timezone.localdate()
    marks = {}
    for row in rows:
        times = last.get(row.pk, {})
        reporter, staff = times.get("reporter"), times.get("staff")
        seen_at = seen.get(row.pk)
        marks[row.pk] = RowMarks(
            unread=seen_at is None or (reporter is not None and reporter > seen_at),
            replied=reporter is not None and (staff is None or reporter > staff),
            deadline=next_deadline(row, today=today),
        )
    return marks


def queue_counts(reports: ReportQuerySet) -> QueueCounts:
    return QueueCounts(
        new=reports.filter(status=Report.Status.NEW).count(),
        overdue=reports.overdue().count(),
        retaliation=reports.filter(retaliation_reported_at__isnull=False).count(),
    )


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue without counting every matching report (fast at any size)."""

    items: list[Report]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.items)


def page_of(reports: ReportQuerySet, number: str | None, size: int) -> QueuePage:
    try:
        page = max(1, min(int(number or 1), 100_000))
    except ValueError:
        page = 1
    start = (page - 1) * size
    rows = list(reports[start : start + size + 1])
    return QueuePage(items=rows[:size], number=page, has_next=len(rows) > size)
