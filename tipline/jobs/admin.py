"""Background jobs in the admin: what is waiting, what failed, what gave up, and
"run again now" once the cause is fixed. Jobs hold ids only, so nothing here shows
report content."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from tipline.jobs import services
from tipline.jobs.models import Job

# Plural by the "count" key of the mapping they are formatted with.
_QUEUED = ngettext_lazy("%(count)d job queued to run now.", "%(count)d jobs queued to run now.", "count")
_ALREADY_ACTIVE = ngettext_lazy(
    "%(count)d job left as it is: a job doing the same work is already waiting or running.",
    "%(count)d jobs left as they are: a job doing the same work is already waiting or running.",
    "count",
)
_NOT_RETRYABLE = ngettext_lazy(
    "%(count)d job left as it is: only dead or failed jobs can be run again.",
    "%(count)d jobs left as they are: only dead or failed jobs can be run again.",
    "count",
)


@admin.register(Job)
class JobAdmin(admin.ModelAdmin[Job]):
    """Read-only: the worker alone changes jobs, apart from the retry action (audited).
    Finished jobs are deleted by the worker's housekeeping (done after 7 days, dead after 90)."""

    list_display = ["id", "kind", "state", "tries", "run_at", "finished_at", "last_error"]
    list_filter = ["state", "kind"]
    ordering = ["-id"]
    list_per_page = 50
    show_full_result_count = False
    actions = ["run_again_now"]
    fields = (
        "kind",
        "state",
        "payload",
        "tries",
        "run_at",
        "created_at",
        "finished_at",
        "last_error",
        "locked_by",
        "locked_until",
        "dedupe_key",
    )
    readonly_fields = fields

    @admin.display(description=_("attempts"))
    def tries(self, job: Job) -> str:
        return f"{job.attempts} / {job.max_attempts}"

    @admin.action(description=_("Run the selected dead or failed jobs again now"))
    def run_again_now(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        outcome = services.retry_now(
            job_ids=queryset.values_list("pk", flat=True), now=timezone.now(), actor=request.user, via="admin"
        )
        for ids, text, level in (
            (outcome.queued, _QUEUED, messages.SUCCESS),
            (outcome.already_active, _ALREADY_ACTIVE, messages.WARNING),
            (outcome.not_retryable, _NOT_RETRYABLE, messages.WARNING),
        ):
            if ids:
                self.message_user(request, text % {"count": len(ids)}, level)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Job | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Job | None = None) -> bool:
        return False
