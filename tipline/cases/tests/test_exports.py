from __future__ import annotations

import csv
import io

from tipline.accounts import services as accounts
from tipline.audit.models import AuditEntry
from tipline.cases.services import exports, workflow
from tipline.conftest import PASSWORD, Setup
from tipline.register import services as register


def _report(org: Setup) -> register.Submission:
    version = org.channel.current_questionnaire()
    assert version is not None
    return register.create_report(
        channel=org.channel,
        questionnaire=version,
        answers={"what": "Ghost employees on the payroll 许可证", "kind": "Fraud"},
    )


def test_the_case_pdf_holds_the_answers_notes_and_trail_and_is_audited(org: Setup) -> None:
    from pypdf import PdfReader

    report = _report(org).report
    key = accounts.unlock_private_key(user=org.handler, password=PASSWORD)
    workflow.add_note(report=report, by=org.handler, private_key=key, body="Check the payroll system")
    pdf = exports.render_case_pdf(report=report, by=org.handler, private_key=key)
    assert pdf.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Ghost employees on the payroll" in text
    assert "Check the payroll system" in text
    assert "note.add" in text
    assert AuditEntry.objects.filter(action="report.export_pdf", report_ref=report.reference).exists()


def test_the_queue_csv_holds_metadata_and_no_content(org: Setup) -> None:
    report = _report(org).report
    lines = "".join(exports.queue_csv_rows(by=org.supervisor, filters={}))
    rows = list(csv.reader(io.StringIO(lines)))
    assert rows[0] == exports.CSV_COLUMNS
    assert rows[1][0] == report.reference
    assert rows[1][2] == "new"
    assert "Ghost" not in lines
