"""What a second person's decision on a request writes (identity disclosure, exclusion)."""

from __future__ import annotations

from django.utils import timezone

from tipline.accounts.models import StaffUser
from tipline.cases.models import ExclusionRequest
from tipline.register.models import DisclosureRequest


def settle(request: DisclosureRequest | ExclusionRequest, *, by: StaffUser, approve: bool) -> None:
    """Record the decision on a pending request (the caller holds its row lock)."""
    request.state = "approved" if approve else "refused"
    request.decided_by, request.decided_at = by, timezone.now()
    request.save(update_fields=["state", "decided_by", "decided_at"])
