"""Case handling's front door: every read of content and every change to a case.

Reading and downloads (``content``), the workflow of a report (``workflow``), identity
disclosure (``disclosure``), retention (``retention``), deadline reminders
(``reminders``), staff e-mail (``notify``) and exports (``exports``). Views, jobs and
commands call these; keys are opened and sealed by ``tipline.register.keyring``.
"""

from tipline.cases.services.content import (
    CaseContent,
    EmailAnswer,
    NoteView,
    answer_by_email,
    describe_attachment_for,
    download_attachment,
    list_notes,
    open_case,
    open_case_with_escrow,
    queue_subjects,
    report_key_for,
)
from tipline.cases.services.disclosure import (
    can_read_identity,
    decide_identity,
    disclosures,
    read_identity,
    request_identity,
)
from tipline.cases.services.exports import (
    case_pdf_response,
    queue_csv_response,
    queue_csv_rows,
    render_case_pdf,
)
from tipline.cases.services.held import can_discard, can_read_again, discard_held, read_original, retry_held
from tipline.cases.services.notify import (
    queue_staff_email,
    send_staff_email,
    supervisors,
)
from tipline.cases.services.reminders import (
    send_deadline_reminders,
)
from tipline.cases.services.retention import (
    purge_due,
    purge_on,
    purge_report,
    restart_warning,
    retention_ends,
    warn_upcoming,
)
from tipline.cases.services.unread import mark_seen
from tipline.cases.services.workflow import (
    acknowledge_report,
    add_note,
    assign_report,
    close_report,
    decide_exclusion,
    exclude_from_report,
    link_reports,
    restore_after_exclusion,
    set_labels,
    set_legal_hold,
    start_progress,
)

__all__ = [
    "CaseContent",
    "EmailAnswer",
    "NoteView",
    "acknowledge_report",
    "add_note",
    "answer_by_email",
    "assign_report",
    "can_discard",
    "can_read_again",
    "can_read_identity",
    "case_pdf_response",
    "close_report",
    "decide_exclusion",
    "decide_identity",
    "describe_attachment_for",
    "discard_held",
    "disclosures",
    "download_attachment",
    "exclude_from_report",
    "link_reports",
    "list_notes",
    "mark_seen",
    "open_case",
    "open_case_with_escrow",
    "purge_due",
    "purge_on",
    "purge_report",
    "queue_csv_response",
    "queue_csv_rows",
    "queue_staff_email",
    "queue_subjects",
    "read_identity",
    "read_original",
    "render_case_pdf",
    "report_key_for",
    "request_identity",
    "restart_warning",
    "restore_after_exclusion",
    "retention_ends",
    "retry_held",
    "send_deadline_reminders",
    "send_staff_email",
    "set_labels",
    "set_legal_hold",
    "start_progress",
    "supervisors",
    "warn_upcoming",
]
