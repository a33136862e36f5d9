"""The report record: queue metadata in clear, content as ciphertext, and what belongs to
one report (its messages, attachments, links and identity-disclosure decisions)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tipline.register import deadlines
from tipline.register.models.channels import Channel, QuestionnaireVersion

BUILT_IN_OUTCOME_NAMES = {
    "substantiated": ("Substantiated", _("Substantiated")),
    "unsubstantiated": ("Unsubstantiated", _("Unsubstantiated")),
    "out_of_scope": ("Out of scope", _("Out of scope")),
    "referred": ("Referred to another authority", _("Referred to another authority")),
    "malicious": ("Malicious report", _("Malicious report")),
}


class Outcome(models.Model):
    """How a closed report ended. The list is configurable; 'malicious' protects people reported on."""

    code = models.SlugField(_("code"), unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=300, blank=True)
    is_active = models.BooleanField(_("offered"), default=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        """The name, translated for a built-in outcome whose name was not changed."""
        english, translated = BUILT_IN_OUTCOME_NAMES.get(self.code, ("", ""))
        return str(translated) if english and self.name == english else self.name


class Label(models.Model):
    name = models.CharField(_("name"), max_length=60, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


LIVE = models.Q(purged_at__isnull=True)


class ReportQuerySet(models.QuerySet["Report"]):
    def live(self) -> ReportQuerySet:
        return self.filter(purged_at__isnull=True)

    def overdue(self, now: datetime | None = None) -> ReportQuerySet:
        return self.filter(next_due_at__lt=now or timezone.now())

    def open(self) -> ReportQuerySet:
        return self.exclude(status=Report.Status.CLOSED)


def new_reference() -> str:
    """A random case reference for staff (no shared counter to collide on)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


# A reply still pending this long after its report was stored will not be noted sent: ten
# minutes, or longer where the relay's time-out is long (a reply takes up to about eight
# commands, each allowed TIPLINE_SMTP_TIMEOUT).
def reply_confirmed_within() -> timedelta:
    return timedelta(seconds=max(600, 10 * (settings.EMAIL_TIMEOUT or 60)))


class MailReplyState(models.TextChoices):
    """What is known of the reply to a mail report's sender, while it is not known to be sent."""

    PENDING = "pending", _("not known to be sent")
    FAILED = "failed", _("could not be sent")


class Quarantine(models.TextChoices):
    """Why a report taken in by a channel is held for an operator (supervisor)."""

    TOO_LARGE = "too_large", _("The message is larger than the limit; only the original was kept.")
    UNREADABLE = "unreadable", _("The message could not be read; only the original was kept.")
    LEFT_IN_MAILBOX = (
        "left_in_mailbox",
        _(
            "The message is too large to be fetched at all: it was left in the mailbox, and only its headers "
            "were kept. Fetch it with a mail program."
        ),
    )
    TOO_COMPLEX = (
        "complex",
        _(
            "The message is built of so many parts or lines, or parts nested so deep, that reading it would take "
            "too long; only the original was kept."
        ),
    )
    HEADER_TOO_LONG = (
        "header",
        _("A header that says how the message is built is too long to be read safely; only the original was kept."),
    )
    NOT_STORED = (
        "not_stored",
        _(
            "The message was read but could not be stored with its text and files (a file no reader could open, "
            "say); only the original was kept. Read it again, or download it."
        ),
    )
    DELIVERY_REPORT = (
        "delivery",
        _(
            "An automatic delivery report (a bounce), not a report: it can quote a reply that carried a receipt, so "
            "only the original was kept."
        ),
    )


class Report(models.Model):
    """A report. Clear columns are queue metadata only; content is ciphertext."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        IN_PROGRESS = "in_progress", _("In progress")
        CLOSED = "closed", _("Closed")

    reference = models.CharField(max_length=16, unique=True, default=new_reference)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="reports")
    questionnaire = models.ForeignKey(QuestionnaireVersion, null=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    # Workflow metadata (clear: what the queue needs, nothing more).
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_reports"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    ack_due_at = models.DateTimeField(null=True, blank=True)
    feedback_due_at = models.DateTimeField(null=True, blank=True)
    # The deadline that applies now (acknowledgement, then feedback; none once closed).
    next_due_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.ForeignKey(Outcome, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    labels = models.ManyToManyField(Label, blank=True, related_name="reports")
    legal_hold = models.BooleanField(default=False)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    purge_warned_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)
    # Receipt derivation: lookup id and the report key wrapped by the receipt key (all null once purged).
    lookup_id = models.BinaryField(max_length=32, unique=True, null=True)
    receipt_wrapped_key = models.BinaryField(null=True)
    answers_ct = models.BinaryField(null=True)
    # Identity: encrypted with its own key, which is sealed only to supervisors.
    identity_ct = models.BinaryField(null=True)
    # A keyed digest of the random token of the form page it was sent from, kept for two
    # hours (empty for other channels and after that): copies of one page are linked.
    form_digest = models.CharField(max_length=32, blank=True, default="", db_default="")
    # A keyed digest of what a channel took in (a mail's Message-ID and content): the same
    # message taken in twice (a crash between storing and removing it) is one report.
    source_digest = models.CharField(max_length=64, null=True, blank=True, unique=True)
    # The original as received (a mail), encrypted under the identity key (it names the
    # sender): supervisors only. Empty for the web form.
    source_blob = models.CharField(max_length=80, blank=True, default="", db_default="")
    # Set while the report waits for an operator because it could not be taken in whole.
    quarantine = models.CharField(max_length=20, choices=Quarantine.choices, blank=True, default="", db_default="")
    # Calls and meetings: whether the reporter agreed to a recording (None: not asked).
    recording_consent = models.BooleanField(null=True, blank=True)
    # Mailbox channels that let handlers answer by e-mail: the sender's address, under the
    # report key (the identity, under its own key, stays for supervisors only).
    reply_address_ct = models.BinaryField(null=True)
    # When the reporter asked, in the portal, to meet in person (art. 9(2)).
    meeting_requested_at = models.DateTimeField(null=True, blank=True)
    # A mail report whose reply (with its receipt, where the channel sends one) is not known
    # to have gone out: stored with the report as pending, cleared as soon as it was sent,
    # failed when the server refused it. Pending is left by a worker stopped between the two
    # (the receipt is never kept, so the reply cannot be sent again): the handlers are told.
    mail_reply_state = models.CharField(
        max_length=8, choices=MailReplyState.choices, blank=True, default="", db_default=""
    )
    # When the reporter told the handler, in the portal, that they face retaliation (the words
    # are a message under the report key; this is what the queue and statistics count).
    retaliation_reported_at = models.DateTimeField(null=True, blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        # Partial indexes over live reports: the queue always filters purged tombstones out.
        indexes = [
            models.Index(fields=["-created_at"], name="live_created", condition=LIVE),
            models.Index(fields=["status", "-created_at"], name="live_status_created", condition=LIVE),
            models.Index(fields=["assignee", "-created_at"], name="live_assignee_created", condition=LIVE),
            # The id as a key column: PostgreSQL counts a channel's reports a handler holds
            # keys to from this index alone (a hash join with their grants), not the table.
            models.Index(fields=["channel", "-created_at", "id"], name="live_channel_created_id", condition=LIVE),
            models.Index(fields=["next_due_at"], name="live_next_due", condition=LIVE),
            # The supervisor's triage, reports nobody is assigned by next deadline: the few
            # open ones among the many closed unassigned reports, in deadline order.
            models.Index(
                fields=["next_due_at"], name="live_unassigned_due", condition=LIVE & models.Q(assignee__isnull=True)
            ),
            models.Index(fields=["form_digest"], name="form_digest", condition=~models.Q(form_digest="")),
            # Few reports, counted on every queue page: without it each count reads the table.
            models.Index(
                fields=["retaliation_reported_at"],
                name="live_retaliation",
                condition=LIVE & models.Q(retaliation_reported_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def acknowledged(self, now: datetime, *, by_person: bool) -> dict[str, object]:
        """What an acknowledgement at ``now`` sets (Directive 2019/1937 art. 9(1)(b)): the
        feedback deadline counts from it. By a person, the report is acknowledged and that
        deadline is the next one; sent automatically on receipt, the report stays new, its
        next deadline the acknowledgement one, until a person opens it."""
        feedback_due = deadlines.due_after_months(now, self.channel.feedback_months)
        changes: dict[str, object] = {"acknowledged_at": now, "feedback_due_at": feedback_due}
        if by_person:
            changes |= {"status": Report.Status.ACKNOWLEDGED, "next_due_at": feedback_due}
        return changes

    @property
    def is_overdue(self) -> bool:
        return self.next_due_at is not None and self.next_due_at < timezone.now()

    @property
    def is_purged(self) -> bool:
        return self.purged_at is not None

    @property
    def mail_reply_unconfirmed(self) -> bool:
        """The reply to the sender is still pending long after the report was stored: the
        worker stopped before it was sent, or before it noted it sent (which it does at once;
        the minutes allow for a slow mail server)."""
        return (
            self.mail_reply_state == MailReplyState.PENDING
            and self.created_at < timezone.now() - reply_confirmed_within()
        )


class Message(models.Model):
    """A message between the reporter and staff, encrypted with the report key."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="messages")
    from_staff = models.BooleanField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    body_ct = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    read_by_reporter = models.BooleanField(default=False)
    # The reporter's words, taken down by a call-taker during a call (not staff's own).
    taken_by_phone = models.BooleanField(default=False, db_default=False)
    # Taken by phone or in a meeting: whether the caller agreed to a recording of this call
    # (None: not asked, e.g. a letter, or a message the reporter wrote themselves).
    recording_consent = models.BooleanField(null=True, blank=True)
    # The organisation's own message with no person as its author (an acknowledgement sent
    # on receipt). Those stored before it was marked have ``from_staff`` false, bound into
    # their encryption, so this flag (migration 0018) is what says whose they are.
    automatic = models.BooleanField(default=False, db_default=False)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"message {self.pk} on {self.report}"

    @property
    def from_organisation(self) -> bool:
        """Staff's or the organisation's automatic message: never the reporter's own words."""
        return self.from_staff or self.automatic


# Messages the reporter wrote (or a call-taker took down from them), for queries.
REPORTERS_OWN = models.Q(from_staff=False, automatic=False)


# The outcomes Tipline starts with (migration 0003), by code: while an admin keeps the name
# they were given, they are shown in the reader's language.


class Attachment(models.Model):
    """An encrypted file in the attachment store. Name and type are encrypted too."""

    class State(models.TextChoices):
        HELD = "held", _("Waiting for the reporter's decision")
        SENT = "sent", _("Sent")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments")
    blob = models.CharField(max_length=80, unique=True)
    meta_ct = models.BinaryField()
    size = models.PositiveBigIntegerField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.SENT)
    from_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"attachment {self.pk} of {self.report}"


class ReportLink(models.Model):
    class Kind(models.TextChoices):
        RELATED = "related", _("Related")
        DUPLICATE = "duplicate", _("Duplicate of")
        # Made by Tipline: the same form page sent more than once (a double click without
        # JavaScript); every later copy points at the first.
        SENT_TWICE = "sent_twice", _("Sent from the same form page as")
        # Made by Tipline: a mail left in the mailbox (too large to fetch), taken in whole
        # later (the limit raised); it points at the report held with its headers.
        WHOLE_MAIL = "whole_mail", _("The whole mail, held before with its headers only, as")

    source = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="unique_report_link"),
            models.CheckConstraint(condition=~models.Q(source=models.F("target")), name="no_self_link"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.target}"


class Transcript(models.Model):
    """The call-taker's transcript or minutes of a call or meeting without a recording
    (art. 18): shown to the reporter, who confirms or corrects it; both texts are kept."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the reporter to check it")
        CONFIRMED = "confirmed", _("Confirmed by the reporter")
        CORRECTED = "corrected", _("Corrected by the reporter")
        # Read back during the call or meeting, and confirmed there (art. 18(2) and (4)).
        READ_BACK = "read_back", _("Read back to the reporter, who confirmed it")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="transcripts")
    text_ct = models.BinaryField()
    correction_ct = models.BinaryField(null=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"transcript {self.pk} of {self.report}"


class DisclosureRequest(models.Model):
    """A handler's written request to see the reporter's sealed identity (art. 16)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for a supervisor")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="disclosure_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The reason is shown to the reporter when approved, so it is encrypted with the report key.
    reason_ct = models.BinaryField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "requested_by"], condition=models.Q(state="pending"), name="one_pending_disclosure"
            )
        ]

    def __str__(self) -> str:
        return f"disclosure of {self.report} to {self.requested_by}"
