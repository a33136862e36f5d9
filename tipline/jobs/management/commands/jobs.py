from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count
from django.utils import timezone

from tipline.jobs import services
from tipline.jobs.models import Job, JobState

LIST_LIMIT = 50


class Command(BaseCommand):
    help = (
        "Background jobs. 'tipline jobs' counts jobs by state and lists the ones that gave up "
        "(dead); 'tipline jobs list --state failed' lists another state; 'tipline jobs retry ID …' "
        "or 'retry --all-dead' runs dead or failed jobs again now (audited); 'tipline jobs check' "
        "exits with status 1 when any job is dead, for monitoring."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", nargs="?", default="list", choices=["list", "retry", "check"])
        parser.add_argument("ids", nargs="*", type=int, metavar="ID", help="jobs to retry")
        parser.add_argument(
            "--state", choices=JobState.values, default=JobState.DEAD, help="state to list (default: dead)"
        )
        parser.add_argument("--all-dead", action="store_true", help="retry every dead job")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action != "retry" and (options["ids"] or options["all_dead"]):
            raise CommandError("job ids and --all-dead go with 'retry'")
        if action == "retry":
            self._retry(options["ids"], all_dead=options["all_dead"])
        elif action == "check":
            self._check()
        else:
            self._list(JobState(options["state"]))

    def _list(self, state: JobState) -> None:
        counts = dict(Job.objects.values_list("state").annotate(n=Count("id")).order_by())
        self.stdout.write("  ".join(f"{name}: {counts.get(name, 0)}" for name in JobState.values))
        jobs = Job.objects.filter(state=state).order_by("-id")[:LIST_LIMIT]
        for job in jobs:
            when = (job.finished_at or job.run_at).isoformat(timespec="seconds")
            self.stdout.write(
                f"{job.pk}\t{job.kind}\t{job.attempts}/{job.max_attempts}\t{when}\t{job.last_error or '-'}"
            )
        if counts.get(state, 0) > LIST_LIMIT:
            self.stdout.write(f"… the newest {LIST_LIMIT} of {counts[state]} {state} jobs")

    def _retry(self, ids: list[int], *, all_dead: bool) -> None:
        if all_dead == bool(ids):
            raise CommandError("give job ids or --all-dead (one or the other)")
        if all_dead:
            ids = list(Job.objects.filter(state=JobState.DEAD).values_list("pk", flat=True))
            if not ids:
                self.stdout.write("No dead jobs.")
                return
        outcome = services.retry_now(job_ids=ids, now=timezone.now(), actor=None, via="command")
        for label, group in (
            ("queued to run now", outcome.queued),
            ("left as they are, a job doing the same work is already waiting or running", outcome.already_active),
            ("left as they are, not dead or failed (or no such job)", outcome.not_retryable),
        ):
            if group:
                self.stdout.write(f"{label}: {' '.join(map(str, group))}")
        if not outcome.queued:
            raise CommandError("no job was queued")

    def _check(self) -> None:
        dead = Job.objects.filter(state=JobState.DEAD).count()
        if dead:
            msg = f"{dead} dead job(s): see 'tipline jobs' or the admin page Background jobs"
            raise CommandError(msg, returncode=1)
        self.stdout.write(self.style.SUCCESS("No dead jobs."))
