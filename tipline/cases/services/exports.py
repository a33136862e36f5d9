"""Exports: one case as PDF for referral, the queue's clear metadata as CSV.

The PDF is rendered in memory on request and streamed; it is never written to
disk or cache. Every export is audited.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.http import StreamingHttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from tipline.accounts.models import StaffUser
from tipline.audit import services as audit
from tipline.audit.models import AuditEntry
from tipline.cases import selectors
from tipline.cases.audit_actions import CALL_INTAKE_ACTIONS
from tipline.cases.permissions import Action, require
from tipline.cases.services import disclosure
from tipline.cases.services.content import list_notes, open_case
from tipline.register import services as register
from tipline.register.models import Report

CSV_COLUMNS = [
    "reference",
    "channel",
    "status",
    "received",
    "acknowledged",
    "ack_due",
    "feedback_due",
    "overdue",
    "assignee",
    "labels",
    "outcome",
    "closed",
    "legal_hold",
    "retaliation_reported",
]


@dataclass(frozen=True)
class TrailLine:
    """An audit entry as the console shows it to the person exporting."""

    entry: AuditEntry
    to_the_hour: bool  # a reporter-side time: shown as the console shows a reporter's times
    call_taker_withheld: bool  # "Call-taker" instead of the name


def case_trail(*, report: Report, by: StaffUser) -> list[TrailLine]:
    """The report's audit trail as ``by`` may read it, for a document that leaves Tipline
    (a referral): whoever exports it, the reporter-side entries are shown to the hour and
    without the call-taker's name, as the case page shows them (DESIGN: times that could
    identify a caller are rounded). The exact trail stays on the console's audit page."""
    lines = []
    for entry in selectors.audit_entries(user=by, reference=report.reference).order_by("seq"):
        intake = entry.action in CALL_INTAKE_ACTIONS
        # No staff actor: the reporter's own doing (confirmed a transcript, asked to meet,
        # claimed a reward, sent the form twice, ...).
        reporter_side = intake or entry.actor_id is None
        lines.append(TrailLine(entry=entry, to_the_hour=reporter_side, call_taker_withheld=intake))
    return lines


def render_case_pdf(*, report: Report, by: StaffUser, private_key: bytes) -> bytes:
    """The case with answers, messages, notes, transcripts, list of attachments and audit
    trail, each time and name as the console's pages show them to ``by``."""
    from weasyprint import HTML, URLFetcher  # noqa: PLC0415 - heavy import, only for this export

    require(by, Action.EXPORT_PDF, report)
    content = open_case(report=report, user=by, private_key=private_key)
    html = render_to_string(
        "cases/export_pdf.html",
        {
            "case": content,
            "notes": list_notes(report=report, report_key=content.report_key),
            "transcripts": register.list_transcripts(report=report, report_key=content.report_key),
            "disclosures": disclosure.disclosures(report=report, report_key=content.report_key),
            "trail": case_trail(report=report, by=by),
            "exported_by": by,
            "exported_at": timezone.now(),
        },
    )
    # No protocol is allowed: the renderer fetches no URL (a case's export calls nowhere).
    pdf = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()
    audit.record(action="report.export_pdf", actor=by, report_ref=report.reference)
    return bytes(pdf)


def _chunks(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def case_pdf_response(*, report: Report, by: StaffUser, private_key: bytes) -> StreamingHttpResponse:
    pdf = render_case_pdf(report=report, by=by, private_key=private_key)
    response = StreamingHttpResponse(_chunks(pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="report-{report.reference}.pdf"'
    response["Content-Length"] = str(len(pdf))
    return response


def _row(report: Report) -> list[str]:
    def when(value: Any) -> str:
        return value.isoformat() if value else ""

    return [
        report.reference,
        report.channel.name,
        report.status,
        # The day only: the exact moment a report arrived can point at who sent it.
        timezone.localdate(report.created_at).isoformat(),
        when(report.acknowledged_at),
        when(report.ack_due_at),
        when(report.feedback_due_at),
        "yes" if report.is_overdue else "no",
        report.assignee.get_username() if report.assignee else "",
        ";".join(label.name for label in report.labels.all()),
        report.outcome.code if report.outcome else "",
        when(report.closed_at),
        "yes" if report.legal_hold else "no",
        timezone.localdate(report.retaliation_reported_at).isoformat() if report.retaliation_reported_at else "",
    ]


def queue_csv_rows(*, by: StaffUser, filters: dict[str, Any]) -> Iterator[str]:
    """CSV lines of the queue's clear metadata (no content), streamed in pages."""
    reports = selectors.queue_rows(selectors.filter_queue(selectors.visible_reports(by), filters, user=by))
    reports = reports.select_related("outcome").prefetch_related("labels")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for report in reports.iterator(chunk_size=1000):
        writer.writerow(_row(report))
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def queue_csv_response(*, by: StaffUser, filters: dict[str, Any]) -> StreamingHttpResponse:
    require(by, Action.EXPORT_CSV)  # before streaming starts: a refusal must be a 403, not a cut-off 200
    rows = queue_csv_rows(by=by, filters=filters)
    audit.record(action="queue.export_csv", actor=by, detail={k: str(v) for k, v in filters.items() if v})
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="tipline-queue.csv"'
    return response
