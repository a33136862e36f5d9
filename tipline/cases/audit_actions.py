"""Human-readable names of the audit trail's action codes, for the pages and exports that
show the trail. The code stays the record (and is shown beside the name); a code that is
not listed here is shown as it is."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, Promise] = {
    # Reading and exporting content
    "report.read": _("Read the report"),
    "attachment.download": _("Downloaded a file"),
    "identity.read": _("Read the reporter's identity"),
    "escrow.read": _("Read the report through the escrow key"),
    "report.export_pdf": _("Exported the report as PDF"),
    "queue.export_csv": _("Exported the list of reports as CSV"),
    "queue.subject": _("Saw the report's subject in the queue"),
    # Working on a report
    "message.sent": _("Sent a message to the reporter"),
    "alerts.sent": _("Sent an alert e-mail (counts only)"),
    "alerts.preference": _("Changed their alert e-mails"),
    "message.sent_by_email": _("Also sent a message to the reporter by e-mail"),
    "message.sent_by_email_unconfirmed": _(
        "Also sent a message to the reporter by e-mail; the mail server did not confirm it"
    ),
    "note.add": _("Added an internal note"),
    "report.assign": _("Assigned the report"),
    "report.exclude": _("Excluded someone from the report"),
    "report.exclusion_requested": _("Asked to exclude a supervisor or an administrator"),
    "report.exclusion_approved": _("Approved an exclusion"),
    "report.exclusion_refused": _("Refused an exclusion"),
    "report.acknowledge": _("Acknowledged the report"),
    "report.in_progress": _("Marked the report in progress"),
    "report.close": _("Closed the report"),
    "report.labels": _("Changed the labels"),
    "report.link": _("Linked to another report"),
    "report.legal_hold": _("Changed the legal hold"),
    "report.purge": _("Destroyed the report under the retention rules"),
    "report.discard": _("Discarded a held report"),
    "report.original_read": _("Read the original as received (names the sender)"),
    "report.quarantine_retry": _("Read a held original again"),
    "report.taken_by_phone": _("Took a report by phone, post or in a meeting"),
    "message.taken_by_phone": _("Took down a caller's message"),
    "receipt.failed_by_phone": _("Entered a caller's receipt that opened no report"),
    "transcript.confirmed": _("The reporter confirmed the transcript"),
    "transcript.corrected": _("The reporter corrected the transcript"),
    # Identity disclosure
    "disclosure.request": _("Asked for the reporter's identity"),
    "disclosure.approve": _("Approved a request for the identity"),
    "disclosure.refuse": _("Refused a request for the identity"),
    # Staff accounts and the escrow key
    "staff.created": _("Created a staff account"),
    "staff.login": _("Logged in"),
    "staff.locked": _("Log-in locked after failed attempts"),
    "staff.password_changed": _("Changed their password"),
    "staff.two_factor_reset": _("Removed a staff member's second factor"),
    "staff.roles_changed": _("Changed a staff member's roles"),
    "staff.activated": _("Activated a staff account"),
    "staff.deactivated": _("Deactivated a staff account"),
    "escrow.granted": _("Shared the escrow key"),
    "escrow.restore_access": _("Restored a staff member's access"),
    "escrow.restore_report_access": _("Lifted an exclusion and restored access through the escrow key"),
    # Channels
    "channel.recipients_changed": _("Changed who receives a channel's reports"),
    # Publishing
    "publishing.submitted": _("Sent an article for review"),
    "publishing.returned": _("Sent an article back to its author"),
    "publishing.published": _("Published an article"),
    "publishing.scheduled": _("Scheduled an article"),
    "publishing.went_live": _("A scheduled article went live"),
    "publishing.archived": _("Archived an article"),
    "publishing.restored": _("Restored an archived article"),
    "publishing.profile_changed": _("Changed the official profile"),
    "publishing.revision_started": _("Started a new revision of a published article"),
    "publishing.revision_submitted": _("Sent a new revision of a published article for review"),
    "publishing.revision_returned": _("Sent a new revision back to its writer"),
    "publishing.revision_rejected": _("Rejected a new revision of a published article"),
    "publishing.revision_discarded": _("Discarded a new revision of a published article"),
    "publishing.revision_approved": _("Approved a new revision: it replaced the published text"),
    # Background jobs
    "jobs.retried": _("Ran failed background jobs again"),
    # Rewards, commendations, proofs, retaliation (tipline.rewards)
    "reward.proposed": _("Proposed a reward"),
    "reward.first_approval": _("Gave the first of two approvals of a reward"),
    "reward.approved": _("Approved a reward"),
    "reward.refused": _("Refused a reward"),
    "reward.claimed": _("The reporter claimed the reward"),
    "reward.declined": _("The reporter declined the reward"),
    "reward.bank_details_read": _("Read the bank details of a reward claim"),
    "reward.paid": _("Recorded the payment of a reward"),
    "reward.payouts_exported": _("Exported the reward payouts as CSV"),
    "commendation.offered": _("Offered a commendation"),
    "commendation.issued": _("The reporter accepted the commendation"),
    "commendation.declined": _("The reporter declined the commendation"),
    "proof.issued": _("The reporter downloaded a signed proof of reporting"),
    "report.retaliation_reported": _("The reporter said they face retaliation"),
    "report.meeting_requested": _("The reporter asked to meet in person"),
    "channel.created": _("Created a channel from the command line"),
    "channel.changed": _("Changed a channel from the command line"),
}


def action_label(code: str) -> str:
    """The name of an action code in the current language, or the code itself when unknown."""
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code


# Done by a call-taker while a caller was on the line (or a letter or a meeting was taken
# down): the time of the call and who was on shift can point at the caller.
CALL_INTAKE_ACTIONS = frozenset({"report.taken_by_phone", "message.taken_by_phone"})
