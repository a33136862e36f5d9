"""The audit trail names each action in words, in the reader's language, beside its code."""

from __future__ import annotations

import io

from django.apps import apps
from django.test import Client
from django.utils.functional import Promise

from tipline.accounts import services as accounts
from tipline.accounts.testing import login_staff
from tipline.audit import services as audit
from tipline.cases import services
from tipline.cases.audit_actions import ACTION_LABELS, action_label
from tipline.cases.services import exports
from tipline.conftest import PASSWORD, Setup
from tipline.register import services as register


def test_the_audit_page_shows_what_happened_in_words_and_the_code(org: Setup) -> None:
    version = org.channel.current_questionnaire()
    assert version is not None
    report = register.create_report(channel=org.channel, questionnaire=version, answers={"what": "x", "kind": "Fraud"})
    key = accounts.unlock_private_key(user=org.handler, password=PASSWORD)
    services.open_case(report=report.report, user=org.handler, private_key=key)
    audit.record(action="something.new", actor=org.admin)
    staff = Client(enforce_csrf_checks=True)
    login_staff(staff, "supervisor", PASSWORD)
    page = staff.get("/console/audit/").content.decode()
    assert "Read the report" in page
    assert "report.read" in page
    assert "something.new" in page
    case_page = staff.get(f"/console/reports/{report.report.reference}/audit/").content.decode()
    assert "Read the report" in case_page


def test_the_pdf_trail_names_the_actions_too(org: Setup) -> None:
    from pypdf import PdfReader

    version = org.channel.current_questionnaire()
    assert version is not None
    report = register.create_report(channel=org.channel, questionnaire=version, answers={"what": "x", "kind": "Fraud"})
    key = accounts.unlock_private_key(user=org.handler, password=PASSWORD)
    services.open_case(report=report.report, user=org.handler, private_key=key)
    pdf = exports.render_case_pdf(report=report.report, by=org.handler, private_key=key)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Read the report" in text
    assert "report.read" in text


def test_an_unknown_action_is_shown_as_its_code() -> None:
    assert action_label("report.read") == "Read the report"
    assert action_label("made.up") == "made.up"


def test_action_names_and_the_background_jobs_app_name_are_translatable() -> None:
    assert all(isinstance(label, Promise) for label in ACTION_LABELS.values())
    assert isinstance(apps.get_app_config("jobs").verbose_name, Promise)


def test_what_nobody_did_in_person_is_by_the_system_in_the_readers_language(org: Setup) -> None:
    audit.record(action="report.purge", report_ref="ABCDEFGHJK")  # no actor: the retention rules
    staff = Client(enforce_csrf_checks=True)
    login_staff(staff, "supervisor", PASSWORD)
    assert "<td>system</td>" in staff.get("/console/audit/").content.decode()
    staff.cookies["django_language"] = "zh-hans"
    chinese = staff.get("/console/audit/").content.decode()
    assert "<td>系统</td>" in chinese
    assert "<td>system</td>" not in chinese
