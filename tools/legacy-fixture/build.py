"""Build a database at the schema before the register (commit 0a3eff3), for the upgrade test.

Run with the code of that commit (its ``intake`` and ``cases`` apps), for example:

    git worktree add /tmp/old 0a3eff3
    cd /tmp/old && TIPLINE_DATA_DIR=/tmp/legacy TIPLINE_PEPPER=... TIPLINE_KDF_COST=t=1,m=8M \\
        TIPLINE_ALLOW_WEAK_KDF=1 /path/to/.venv/bin/python /path/to/this/build.py OUT_DIR

It migrates an empty database, stores reports through the services of that time
(answers, an identity, files, messages both ways, an assignment, a disclosure
request, an exclusion, labels), and writes ``manifest.json`` with what a later
version must still open: each receipt with its answers and messages, and the
staff who must still read them. The caller dumps the database and copies the
attachment folder beside it (see ``tools/legacy-fixture/make.sh``).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tipline.settings")
django.setup()

from django.core.management import call_command  # noqa: E402

from tipline.accounts import services as accounts  # noqa: E402
from tipline.accounts.models import Role  # noqa: E402
from tipline.cases import disclosure, workflow  # noqa: E402
from tipline.cases import services as cases  # noqa: E402
from tipline.cases.models import Label  # noqa: E402
from tipline.intake import services as intake  # noqa: E402
from tipline.intake.models import Channel, FieldType, Question  # noqa: E402

PASSWORD = "correct horse battery staple 42"


def _file(name: str, data: bytes) -> intake.IncomingFile:
    folder = Path(tempfile.mkdtemp())
    path = folder / name
    path.write_bytes(data)
    return intake.IncomingFile(path=path, name=name, size=len(data))


def main(out: Path) -> None:
    call_command("migrate", "--noinput", verbosity=0)
    _, escrow = accounts.create_organisation(name="Legacy Integrity Office")
    accounts.create_staff(username="admin", password=PASSWORD, roles=[Role.ADMIN], escrow_private_key=escrow)
    supervisor = accounts.create_staff(username="supervisor", password=PASSWORD, roles=[Role.SUPERVISOR])
    handler = accounts.create_staff(username="handler", password=PASSWORD, roles=[Role.HANDLER])
    other = accounts.create_staff(username="other", password=PASSWORD, roles=[Role.HANDLER])
    channel = Channel.objects.create(slug="web", name="Web tips", description="Tell us")
    channel.recipients.add(other)
    Question.objects.create(channel=channel, order=0, key="what", field_type=FieldType.LONG_TEXT, label="What?")
    Question.objects.create(channel=channel, order=1, key="files", field_type=FieldType.FILE, label="Files")
    version = intake.publish_questionnaire(channel=channel)
    label = Label.objects.create(name="roads")
    supervisor_key = accounts.unlock_private_key(user=supervisor, password=PASSWORD)
    handler_key = accounts.unlock_private_key(user=handler, password=PASSWORD)
    reports = []
    for number in range(3):
        answers = {"what": f"Legacy report {number}: kickbacks on the ring road"}
        files = [_file(f"note-{number}.txt", f"evidence {number}".encode())] if number != 1 else []
        submission = intake.submit_report(
            channel=channel,
            questionnaire=version,
            answers=answers,
            files=files,
            identity="Jane Roe, +1 555 0100" if number == 0 else "",
        )
        report = submission.report
        workflow.assign_report(report=report, handler=handler, by=supervisor, private_key=supervisor_key)
        workflow.acknowledge_report(report=report, by=handler, private_key=handler_key)
        workflow.set_labels(report=report, by=supervisor, labels=[label])
        cases.post_message(report=report, report_key=submission.report_key, body=f"Handler asks {number}", author=handler)
        cases.post_message(
            report=report,
            report_key=submission.report_key,
            body=f"Reporter answers {number}",
            files=[_file(f"reply-{number}.txt", f"more {number}".encode())],
        )
        if number == 0:
            disclosure.request_identity(report=report, by=handler, private_key=handler_key, reason="Protection")
        if number == 2:
            workflow.exclude_from_report(report=report, user=other, by=supervisor)
        reports.append(
            {
                "receipt": submission.receipt,
                "reference": report.reference,
                "answers": answers,
                "messages": [f"Handler asks {number}", f"Reporter answers {number}"],
                "files": sorted([f.name for f in files] + [f"reply-{number}.txt"]),
                "identity": number == 0,
            }
        )
    manifest = {
        "pepper": os.environ["TIPLINE_PEPPER"],
        "kdf_cost": os.environ["TIPLINE_KDF_COST"],
        "password": PASSWORD,
        "handlers": ["handler", "supervisor"],
        "reports": reports,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
