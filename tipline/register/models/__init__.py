"""The register's records: channels, reports and everything that belongs to one report."""

from tipline.register.models.channels import (
    PHONE_NUMBER,
    STAFF_ENTERED_KINDS,
    Channel,
    ChannelKind,
    FieldType,
    MailReply,
    Question,
    QuestionnaireVersion,
)
from tipline.register.models.grants import GrantReason, IdentityKeyGrant, ReportKeyGrant
from tipline.register.models.reports import (
    BUILT_IN_OUTCOME_NAMES,
    LIVE,
    Attachment,
    DisclosureRequest,
    Label,
    Message,
    Outcome,
    Quarantine,
    Report,
    ReportLink,
    ReportQuerySet,
    new_reference,
)

__all__ = [
    "BUILT_IN_OUTCOME_NAMES",
    "LIVE",
    "PHONE_NUMBER",
    "STAFF_ENTERED_KINDS",
    "Attachment",
    "Channel",
    "ChannelKind",
    "DisclosureRequest",
    "FieldType",
    "GrantReason",
    "IdentityKeyGrant",
    "Label",
    "MailReply",
    "Message",
    "Outcome",
    "Quarantine",
    "Question",
    "QuestionnaireVersion",
    "Report",
    "ReportKeyGrant",
    "ReportLink",
    "ReportQuerySet",
    "new_reference",
]
