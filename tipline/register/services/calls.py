"""What reports taken by phone, by post or in a meeting add to the register: the
transcript or minutes that the reporter confirms or corrects (art. 18), and the
reporter's request to meet in person (art. 9(2))."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tipline.audit import services as audit
from tipline.crypto import boxes
from tipline.register import binding
from tipline.register.exceptions import EmptyMessage, NotInReport, ReportDestroyed, TranscriptDecided
from tipline.register.models import Report, Transcript
from tipline.register.services.content import post_message


@dataclass(frozen=True)
class TranscriptView:
    transcript: Transcript
    text: str
    correction: str


def add_transcript(*, report: Report, report_key: bytes, text: str, read_back: bool = False) -> Transcript:
    """The call-taker's transcript or minutes, waiting for the reporter to check them; or,
    ``read_back``, read back to the reporter during the call, who confirmed them there."""
    text = text.strip()
    if not text:
        raise EmptyMessage
    with transaction.atomic():
        transcript = Transcript.objects.create(
            report=report,
            text_ct=b"",
            state=Transcript.State.READ_BACK if read_back else Transcript.State.PENDING,
            decided_at=timezone.now() if read_back else None,
        )
        place = binding.transcript(reference=report.reference, transcript_id=transcript.pk)
        binding.seal_into(transcript, field="text_ct", key=report_key, plaintext=text.encode(), place=place)
    return transcript


def list_transcripts(*, report: Report, report_key: bytes) -> list[TranscriptView]:
    views = []
    for row in report.transcripts.all():
        place = binding.transcript(reference=report.reference, transcript_id=row.pk)
        text = binding.open_text(report_key, bytes(row.text_ct), place=place)
        correction = ""
        if row.correction_ct is not None:
            place = binding.transcript(reference=report.reference, transcript_id=row.pk, correction=True)
            correction = binding.open_text(report_key, bytes(row.correction_ct), place=place)
        views.append(TranscriptView(transcript=row, text=text, correction=correction))
    return views


def decide_transcript(*, report: Report, report_key: bytes, transcript_id: int, correction: str = "") -> Transcript:
    """The reporter confirms the transcript as it is (no ``correction``) or corrects it;
    the first text is kept beside the correction. Decided once."""
    correction = correction.strip()
    with transaction.atomic():
        row = Transcript.objects.select_for_update().filter(report=report, pk=transcript_id).first()
        if report.is_purged:
            raise ReportDestroyed
        if row is None:
            raise NotInReport
        if row.state != Transcript.State.PENDING:
            raise TranscriptDecided
        row.decided_at = timezone.now()
        if correction:
            place = binding.transcript(reference=report.reference, transcript_id=row.pk, correction=True)
            row.correction_ct = boxes.encrypt(report_key, correction.encode(), context=place)
            row.state = Transcript.State.CORRECTED
        else:
            row.state = Transcript.State.CONFIRMED
        row.save(update_fields=["correction_ct", "state", "decided_at"])
        Report.objects.filter(pk=report.pk).update(last_activity_at=row.decided_at)
        audit.record(action=f"transcript.{row.state}", report_ref=report.reference, detail={"transcript": row.pk})
    return row


def request_meeting(*, report: Report, report_key: bytes) -> bool:
    """The reporter asks to meet in person; the handler answers in the conversation with a
    time and place (the request stays open until a handler writes; then the reporter may
    ask again). False when a request is already open (also for two at once)."""
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.meeting_requested_at is not None or locked.is_purged:
            return False
        post_message(
            report=report,
            report_key=report_key,
            body=_("I would like to meet in person. Please propose a time and a place."),
        )
        Report.objects.filter(pk=report.pk).update(meeting_requested_at=timezone.now())
        audit.record(action="report.meeting_requested", report_ref=report.reference)
    report.refresh_from_db(fields=["meeting_requested_at"])
    return True


def report_retaliation(*, report: Report, report_key: bytes, body: str) -> None:
    """The reporter says they face retaliation: their words go to the handler as a message,
    and the report is marked (shown prominently on the case, counted in the statistics)."""
    text = body.strip()
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.is_purged:
            raise ReportDestroyed
        post_message(
            report=report,
            report_key=report_key,
            body=_("I am facing retaliation for my report.") + ("\n\n" + text if text else ""),
        )
        now = timezone.now()
        Report.objects.filter(pk=report.pk).update(retaliation_reported_at=now)
        audit.record(action="report.retaliation_reported", report_ref=report.reference)
    report.refresh_from_db(fields=["retaliation_reported_at"])
