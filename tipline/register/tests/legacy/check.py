"""Open every report of an upgraded legacy database as reporters and staff would.

Run by ``test_upgrade.py`` in a process of its own, pointed at the upgraded
database by the environment: ``python -m tipline.register.tests.legacy.check MANIFEST``.
Prints one JSON object with what it found; the test compares it with the manifest.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tipline.settings")
django.setup()

from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection  # noqa: E402

from tipline.accounts.models import StaffUser  # noqa: E402
from tipline.accounts.services import escrow_private_key, unlock_private_key  # noqa: E402
from tipline.cases import services as cases  # noqa: E402
from tipline.cases.exceptions import NoAccess  # noqa: E402
from tipline.cases.services import disclosure  # noqa: E402
from tipline.jobs.models import PeriodicSchedule  # noqa: E402
from tipline.register import services as register  # noqa: E402
from tipline.register.models import Outcome, Report, ReportKeyGrant  # noqa: E402


def _reporter_view(receipt: str) -> dict[str, Any]:
    report, key = register.open_with_receipt(receipt_text=receipt, client_tag="upgrade-check")
    files = register.report_attachments(report=report, report_key=key)
    messages = register.list_messages(report=report, report_key=key)
    files += [f for m in messages for f in m.attachments]
    contents = {
        info.name: b"".join(register.stream_attachment(attachment=info.attachment, report_key=key)).decode()
        for info in files
    }
    return {
        "reference": report.reference,
        "answers": {
            question["key"]: answer for question, answer in register.read_answers(report=report, report_key=key)
        },
        "messages": [m.body for m in messages],
        "files": sorted(contents),
        "contents": contents,
        "labels": sorted(report.labels.values_list("name", flat=True)),
    }


def _staff_view(username: str, password: str) -> dict[str, Any]:
    user = StaffUser.objects.get(username=username)
    private_key = unlock_private_key(user=user, password=password)
    opened = {}
    for report in Report.objects.order_by("pk"):
        try:
            content = cases.open_case(report=report, user=user, private_key=private_key)
        except NoAccess:
            continue
        opened[report.reference] = {question["key"]: answer for question, answer in content.answers}
    return opened


def main(manifest_path: Path) -> None:
    manifest = json.loads(manifest_path.read_text())
    password = manifest["password"]
    found: dict[str, Any] = {
        "reports": [_reporter_view(r["receipt"]) for r in manifest["reports"]],
        "staff": {name: _staff_view(name, password) for name in [*manifest["handlers"], "other"]},
    }
    supervisor = StaffUser.objects.get(username="supervisor")
    supervisor_key = unlock_private_key(user=supervisor, password=password)
    found["identities"] = {
        r["reference"]: disclosure.read_identity(
            report=Report.objects.get(reference=r["reference"]), by=supervisor, private_key=supervisor_key
        )
        for r in manifest["reports"]
        if r["identity"]
    }
    admin = StaffUser.objects.get(username="admin")
    escrow = escrow_private_key(admin=admin, admin_private_key=unlock_private_key(user=admin, password=password))
    found["escrow_opens"] = bool(escrow)
    found["tables"] = sorted(
        t for t in connection.introspection.table_names() if t.split("_")[0] in {"intake", "cases", "register"}
    )
    found["content_types"] = sorted(
        f"{app}.{model}" for app, model in ContentType.objects.filter(model="report").values_list("app_label", "model")
    )
    found["outcomes"] = sorted(Outcome.objects.values_list("code", flat=True))
    found["reasons"] = sorted(
        {
            (user or "escrow", reasons)
            for user, reasons in ReportKeyGrant.objects.values_list("user__username", "reasons")
        }
    )
    found["schedules"] = sorted(PeriodicSchedule.objects.values_list("kind", flat=True))
    print(json.dumps(found))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
