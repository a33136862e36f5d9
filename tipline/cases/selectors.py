"""The queue: which reports a staff member sees, filtered and sorted, with counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection
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
from tipline.register.models import REPORTERS_OWN, Channel, ChannelKind, Message, Report, ReportQuerySet

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


def visible_reports(user: StaffUser, *, few: bool = False) -> ReportQuerySet:
    """Supervisors and admins see every report's metadata (minus exclusions); handlers
    see the reports they hold a key to. ``few``: the same reports, for a question that
    looks at few of them (the queue's counts of new and overdue reports), with the key
    checked row by row (see :func:`keyring.report_key_grant_of`)."""
    many, row_by_row = visible_both(user)
    return row_by_row if few else many


def mailbox_problems(user: StaffUser) -> list[Channel]:
    """Open mailbox channels the worker cannot read just now, for supervisors (who can have
    them fixed); nobody else is shown them."""
    if Role.SUPERVISOR not in roles_of(user):
        return []
    return list(
        Channel.objects.filter(kind=ChannelKind.MAILBOX, is_active=True)
        .exclude(mail_problem="")
        .exclude(imap_url="")  # no longer read: what stopped it no longer matters
        .only("slug", "name", "translations", "mail_problem", "mail_problem_said", "mail_problem_since", "mail_read_at")
        .order_by("order", "name")
    )


def unread_mailboxes(user: StaffUser) -> list[Channel]:
    """Open mailbox channels listed for the public by their address while no mailbox is set
    to be read: mail sent there reaches nobody. For supervisors, as :func:`mailbox_problems`."""
    if Role.SUPERVISOR not in roles_of(user):
        return []
    return list(
        Channel.objects.filter(kind=ChannelKind.MAILBOX, is_active=True, imap_url="")
        .exclude(email_address="")
        .only("slug", "name", "translations", "email_address")
        .order_by("order", "name")
    )


def visible_both(user: StaffUser) -> tuple[ReportQuerySet, ReportQuerySet]:
    """:func:`visible_reports` and :func:`visible_reports` with ``few``, the person's roles
    and exclusions read once for both (the queue uses both)."""
    roles = roles_of(user)
    reports = Report.objects.live()
    if roles & {Role.SUPERVISOR, Role.ADMIN}:
        excluded = list(Exclusion.objects.filter(user=user).values_list("report_id", flat=True))
        seen = reports.exclude(pk__in=excluded) if excluded else reports
        return seen, seen
    if Role.HANDLER in roles:
        return (
            reports.filter(keyring.report_key_held_by(user=user)),
            reports.annotate(key_grant=keyring.report_key_grant_of(user=user)).filter(key_grant__isnull=False),
        )
    return reports.none(), reports.none()


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


def _with_label(reports: ReportQuerySet, label_id: int, *, counting: bool) -> ReportQuerySet:
    links = Report.labels.through.objects
    if counting:
        # "id IN (the label's links)": SQLite loops over the label's few links and looks
        # each report up (a correlated EXISTS walked the reports, a third of them to count
        # past a thousand).
        return reports.filter(pk__in=links.filter(label_id=label_id).values("report_id"))
    if connection.vendor == "postgresql":
        # A page in date order on PostgreSQL: the label's links hashed once, and the date
        # index walked against that hash ("hashed SubPlan"). PostgreSQL turns a plain IN or
        # EXISTS into a semi-join that looks the links index up for every report walked
        # (4 ms instead of 2 for a handler); "OR id IS NULL", never true, keeps it a subplan.
        return reports.filter(Q(pk__in=links.filter(label_id=label_id).values("report_id")) | Q(pk__isnull=True))
    # A page in date order on SQLite: walking the date index with EXISTS finds its rows
    # without sorting every labelled report.
    return reports.filter(Exists(links.filter(report_id=OuterRef("pk"), label_id=label_id)))


def filter_queue(
    reports: ReportQuerySet, filters: dict[str, Any], *, user: StaffUser, counting: bool = False
) -> ReportQuerySet:
    """Apply the cleaned filters of the queue form; ``counting``: the same reports, in the
    form that counts them fastest (see :func:`bounded_count`)."""
    if reference := filters.get("reference"):
        reports = reports.filter(reference=reference)
    if status := filters.get("status"):
        reports = reports.filter(status=status)
    if channel := filters.get("channel"):
        reports = reports.filter(channel=channel)
    if label := filters.get("label"):
        reports = _with_label(reports, getattr(label, "pk", label), counting=counting)  # an id, or a label
    assignee = filters.get("assignee")
    if assignee == "me":
        reports = reports.filter(assignee=user)
    elif assignee == "none":
        reports = reports.filter(assignee__isnull=True)
    elif assignee:
        reports = reports.filter(assignee_id=int(assignee))
    if filters.get("overdue"):
        reports = reports.overdue()
    if filters.get("held"):
        reports = reports.exclude(quarantine="")
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


# What a queue page shows of a report (and what its marks and subject need): the other
# columns are not read for a page, nor the channel's and assignee's other columns.
PAGE_FIELDS = (
    "reference",
    "channel",
    "questionnaire",
    "assignee",
    "status",
    "created_at",
    "next_due_at",
    "acknowledged_at",
    "quarantine",
)


def page_rows(reports: ReportQuerySet) -> ReportQuerySet:
    """A queue page's reports: the columns it shows. Their channel, assignee and labels
    are named from :func:`row_names`, not read per row."""
    return reports.only(*PAGE_FIELDS)


@dataclass(frozen=True)
class RowNames:
    channels: dict[int, str]
    staff: dict[int, str]
    labels: dict[int, list[str]]  # by report, in the labels' order


def row_names(rows: list[Report], *, channels: dict[int, str], staff: dict[int, str]) -> RowNames:
    """The names a page shows: channels and assignees from those already read (the filter
    form's choices; an assignee who is no longer an active handler is read), and the
    labels of the page's reports in one query (Django's prefetch of a many-to-many
    relation cost about 3 ms a page in managers and querysets made per row)."""
    ids = [row.pk for row in rows]
    missing = {row.assignee_id for row in rows} - set(staff) - {None}
    if missing:
        staff = staff | {user.pk: str(user) for user in StaffUser.objects.filter(pk__in=missing)}
    labels: dict[int, list[str]] = {}
    links = Report.labels.through.objects.filter(report_id__in=ids).order_by("label__name", "label_id")
    for report_id, name in links.values_list("report_id", "label__name"):
        labels.setdefault(report_id, []).append(name)
    return RowNames(channels=channels, staff=staff, labels=labels)


def _counts(*querysets: ReportQuerySet) -> list[int]:
    """How many rows each queryset selects, in one query of one scalar subquery each: each
    is planned as it would be alone, and the queue pays one round trip for all of them
    rather than four (about 2 ms a page on PostgreSQL)."""
    parts: list[str] = []
    params: list[Any] = []
    for number, queryset in enumerate(querysets):
        try:
            sql, part_params = queryset.values("pk").query.sql_with_params()
        except EmptyResultSet:  # a queryset that can select nothing (``none()``)
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{number})")  # noqa: S608  # Django's own SQL
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        return [int(n) for n in cursor.fetchone()]


def _bounded(reports: ReportQuerySet) -> ReportQuerySet:
    return reports.order_by()[: COUNT_LIMIT + 1]


def _in_bounds(found: int) -> tuple[int, bool]:
    return min(found, COUNT_LIMIT), found > COUNT_LIMIT


def bounded_count(reports: ReportQuerySet) -> tuple[int, bool]:
    """How many reports match, counted up to :data:`COUNT_LIMIT`; True when there are more.
    Give it ``filter_queue(…, counting=True)``."""
    return _in_bounds(_counts(_bounded(reports))[0])


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
        .annotate(reporter=Max("created_at", filter=REPORTERS_OWN), staff=Max("created_at", filter=~REPORTERS_OWN))
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


def _count_parts(reports: ReportQuerySet) -> tuple[ReportQuerySet, ...]:
    return (
        reports.filter(status=Report.Status.NEW).order_by(),
        reports.overdue().order_by(),
        reports.filter(retaliation_reported_at__isnull=False).order_by(),
    )


def queue_counts(reports: ReportQuerySet) -> QueueCounts:
    """New, overdue and retaliation among the reports a person may see."""
    return QueueCounts(*_counts(*_count_parts(reports)))


def queue_tally(visible: ReportQuerySet, matching: ReportQuerySet) -> tuple[QueueCounts, int, bool]:
    """:func:`queue_counts` of ``visible`` (give it ``visible_reports(…, few=True)``) and
    :func:`bounded_count` of ``matching``, in one query."""
    new, overdue, retaliation, found = _counts(*_count_parts(visible), _bounded(matching))
    return QueueCounts(new=new, overdue=overdue, retaliation=retaliation), *_in_bounds(found)


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
