"""The register's front door: every write to a report, its files and its conversation.

Channels (the web form; mailbox and phone next), the reporter's portal and the case
console all create and change reports through these functions, never through the
models directly. Keys are sealed and opened by :mod:`tipline.register.keyring`.
"""

from tipline.register.services.acknowledgement import (
    acknowledgement_message,
    acknowledgement_message_for,
    apply_acknowledgement,
    default_acknowledgement,
)
from tipline.register.services.calls import (
    TranscriptView,
    add_transcript,
    decide_transcript,
    list_transcripts,
    request_meeting,
)
from tipline.register.services.content import (
    DisclosureView,
    MessageView,
    answers_ciphertext,
    list_disclosures,
    list_messages,
    mark_read_by_reporter,
    post_message,
    read_answers,
    read_identity,
    read_reply_address,
    report_attachments,
)
from tipline.register.services.files import (
    AttachmentInfo,
    IncomingFile,
    clean_filename,
    delete_blobs,
    describe_attachment,
    describe_held,
    drop_held,
    purge_stale_held,
    read_source,
    release_held,
    store_attachments,
    store_source,
    stream_attachment,
    sweep_orphan_blobs,
)
from tipline.register.services.housekeeping import Tidied, tidy_up
from tipline.register.services.receipts import RECEIPT_SCOPE, open_with_receipt, receipt_secrets
from tipline.register.services.submission import (
    COPIES_WINDOW,
    Submission,
    create_report,
    forget_form_digests,
    form_digest,
    link_copies,
    publish_questionnaire,
    recipient_names,
    record_recipient_change,
)

__all__ = [
    "COPIES_WINDOW",
    "RECEIPT_SCOPE",
    "AttachmentInfo",
    "DisclosureView",
    "IncomingFile",
    "MessageView",
    "Submission",
    "Tidied",
    "TranscriptView",
    "acknowledgement_message",
    "acknowledgement_message_for",
    "add_transcript",
    "answers_ciphertext",
    "apply_acknowledgement",
    "clean_filename",
    "create_report",
    "decide_transcript",
    "default_acknowledgement",
    "delete_blobs",
    "describe_attachment",
    "describe_held",
    "drop_held",
    "forget_form_digests",
    "form_digest",
    "link_copies",
    "list_disclosures",
    "list_messages",
    "list_transcripts",
    "mark_read_by_reporter",
    "open_with_receipt",
    "post_message",
    "publish_questionnaire",
    "purge_stale_held",
    "read_answers",
    "read_identity",
    "read_reply_address",
    "read_source",
    "receipt_secrets",
    "recipient_names",
    "record_recipient_change",
    "release_held",
    "report_attachments",
    "request_meeting",
    "store_attachments",
    "store_source",
    "stream_attachment",
    "sweep_orphan_blobs",
    "tidy_up",
]
