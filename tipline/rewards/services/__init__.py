"""The front door of rewards, commendations and proof of reporting."""

from __future__ import annotations

from tipline.rewards.services.awards import (
    approvals_needed,
    approve_reward,
    budget_used,
    check_eligible,
    is_first_useful,
    policy_for,
    propose_reward,
    refuse_reward,
)
from tipline.rewards.services.claims import (
    Claim,
    claim_code_for_reporter,
    claim_reward,
    collect_cash,
    payouts_csv,
    read_bank_details,
    record_payment,
)
from tipline.rewards.services.commendations import (
    Verified,
    accept_commendation,
    certificate_pdf,
    code_for_reporter,
    decline_commendation,
    offer_commendation,
    roll_of_honour,
    verify_commendation,
)
from tipline.rewards.services.proofs import Statement, issue_statement, public_key_text, verify_statement

__all__ = [
    "Claim",
    "Statement",
    "Verified",
    "accept_commendation",
    "approvals_needed",
    "approve_reward",
    "budget_used",
    "certificate_pdf",
    "check_eligible",
    "claim_code_for_reporter",
    "claim_reward",
    "code_for_reporter",
    "collect_cash",
    "decline_commendation",
    "is_first_useful",
    "issue_statement",
    "offer_commendation",
    "payouts_csv",
    "policy_for",
    "propose_reward",
    "public_key_text",
    "read_bank_details",
    "record_payment",
    "refuse_reward",
    "roll_of_honour",
    "verify_commendation",
    "verify_statement",
]
