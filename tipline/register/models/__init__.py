"""The register's records: channels, reports and everything that belongs to one report."""

from tipline.register.models.channels import (
    PHONE_NUMBER,
    Channel,
    ChannelKind,
    FieldType,
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
    Report,
    ReportLink,
    ReportQuerySet,
    new_reference,
)

__all__ = [
    "BUILT_IN_OUTCOME_NAMES",
    "LIVE",
    "PHONE_NUMBER",
    "Attachment",
    "Channel",
    "ChannelKind",
    "DisclosureRequest",
    "FieldType",
    "GrantReason",
    "IdentityKeyGrant",
    "Label",
    "Message",
    "Outcome",
    "Question",
    "QuestionnaireVersion",
    "Report",
    "ReportKeyGrant",
    "ReportLink",
    "ReportQuerySet",
    "new_reference",
]
