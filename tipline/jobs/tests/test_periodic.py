from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from tipline.jobs.exceptions import InvalidSchedule, NaiveDateTime
from tipline.jobs.models import Job, JobState, PeriodicSchedule
from tipline.jobs.registry import periodic
from tipline.jobs.schedules import DailyAt, Every
from tipline.jobs.services import Outcome, run_one, schedule_periodic
from tipline.jobs.tests.conftest import WORKER_A

BERLIN = ZoneInfo("Europe/Berlin")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def runs(schedule: Every | DailyAt, start: datetime, count: int) -> list[datetime]:
    out, moment = [], start
    for _ in range(count):
        moment = schedule.next_after(moment)
        out.append(moment)
    return out


def test_hourly_slots_stay_an_hour_apart_in_utc_through_both_dst_changes() -> None:
    hourly = Every(timedelta(hours=1))
    for start in (utc(2026, 3, 28, 22, 10), utc(2026, 10, 24, 22, 10)):
        slots = runs(hourly, start, 8)
        assert slots[0] == start.replace(minute=0) + timedelta(hours=1)
        assert all(b - a == timedelta(hours=1) for a, b in pairwise(slots))
    spring = [slot.astimezone(BERLIN).strftime("%H:%M%z") for slot in runs(hourly, utc(2026, 3, 29, 0, 0), 2)]
    assert spring == ["03:00+0200", "04:00+0200"], "02:00 local never existed; nothing is skipped in UTC"


def test_a_daily_berlin_time_in_the_spring_gap_runs_once_just_after_the_gap() -> None:
    at_0230 = DailyAt(time(2, 30), BERLIN)
    assert runs(at_0230, utc(2026, 3, 27, 12, 0), 3) == [
        utc(2026, 3, 28, 1, 30),  # 02:30 CET
        utc(2026, 3, 29, 1, 30),  # 02:30 does not exist: 03:30 CEST
        utc(2026, 3, 30, 0, 30),  # 02:30 CEST
    ]


def test_a_daily_berlin_time_in_the_repeated_autumn_hour_runs_once() -> None:
    at_0230 = DailyAt(time(2, 30), BERLIN)
    assert runs(at_0230, utc(2026, 10, 23, 12, 0), 3) == [
        utc(2026, 10, 24, 0, 30),  # 02:30 CEST
        utc(2026, 10, 25, 0, 30),  # the first 02:30 (CEST); not again at 01:30 UTC (CET)
        utc(2026, 10, 26, 1, 30),  # 02:30 CET
    ]


def test_a_daily_berlin_time_keeps_its_wall_clock_hour_across_dst() -> None:
    at_0900 = DailyAt(time(9, 0), BERLIN)
    spring = runs(at_0900, utc(2026, 3, 28, 0, 0), 2)
    autumn = runs(at_0900, utc(2026, 10, 24, 0, 0), 2)
    assert spring == [utc(2026, 3, 28, 8, 0), utc(2026, 3, 29, 7, 0)]
    assert autumn == [utc(2026, 10, 24, 7, 0), utc(2026, 10, 25, 8, 0)]
    assert {moment.astimezone(BERLIN).hour for moment in spring + autumn} == {9}


def test_bad_schedules_are_refused_at_declaration() -> None:
    with pytest.raises(InvalidSchedule):
        periodic("jobstest.bad", every=timedelta(hours=1), daily_at=time(3, 0))
    with pytest.raises(InvalidSchedule):
        periodic("jobstest.bad", daily_at=time(3, 0), tz="Mars/Olympus_Mons")
    with pytest.raises(InvalidSchedule):
        Every(timedelta(0))
    with pytest.raises(NaiveDateTime):
        Every(timedelta(hours=1)).next_after(datetime(2026, 3, 29, 2, 30))


def _simulate_workers(start: datetime, end: datetime, step: timedelta) -> dict[str, list[datetime]]:
    """Two workers look for periodic work every ``step``; each job finishes at once."""
    moment = start
    while moment <= end:
        for _worker in range(2):
            schedule_periodic(now=moment)
        Job.objects.filter(state=JobState.QUEUED).update(state=JobState.DONE, finished_at=moment)
        moment += step
    enqueued: dict[str, list[datetime]] = {}
    for kind, run_at in Job.objects.order_by("run_at").values_list("kind", "run_at"):
        enqueued.setdefault(kind, []).append(run_at)
    return enqueued


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "expected_berlin"),
    [
        (utc(2026, 3, 27, 23, 0), [utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30)]),
        (utc(2026, 10, 23, 22, 0), [utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_periodic_jobs_are_enqueued_once_per_slot_at_the_right_utc_time_across_dst(
    start: datetime, expected_berlin: list[datetime]
) -> None:
    enqueued = _simulate_workers(start, start + timedelta(hours=52), timedelta(minutes=30))
    assert enqueued["jobstest.berlin_morning"] == expected_berlin
    hourly = enqueued["register.housekeeping"]
    assert hourly[0] == start + timedelta(hours=1)
    assert len(hourly) == 52
    assert all(b - a == timedelta(hours=1) for a, b in pairwise(hourly))
    assert enqueued["jobs.housekeeping"] == [start.replace(hour=0) + timedelta(days=n) for n in (1, 2, 3)]


def _of_kind(jobs: list[Job], kind: str) -> list[Job]:
    return [job for job in jobs if job.kind == kind]


@pytest.mark.django_db
def test_slots_missed_while_no_worker_ran_are_coalesced_into_one_run() -> None:
    schedule_periodic(now=utc(2026, 6, 1, 10, 30))
    jobs = schedule_periodic(now=utc(2026, 6, 1, 17, 45))  # no worker from 11:00 to 17:45
    assert [job.run_at for job in _of_kind(jobs, "register.housekeeping")] == [utc(2026, 6, 1, 11, 0)]
    assert PeriodicSchedule.objects.get(kind="register.housekeeping").next_run_at == utc(2026, 6, 1, 18, 0)
    assert _of_kind(schedule_periodic(now=utc(2026, 6, 1, 17, 59)), "register.housekeeping") == []


@pytest.mark.django_db
def test_a_slot_whose_previous_run_has_not_finished_joins_it() -> None:
    schedule_periodic(now=utc(2026, 6, 1, 10, 30))
    first = schedule_periodic(now=utc(2026, 6, 1, 11, 0))
    second = schedule_periodic(now=utc(2026, 6, 1, 12, 0))
    assert [job.pk for job in _of_kind(second, "register.housekeeping")] == [
        job.pk for job in _of_kind(first, "register.housekeeping")
    ]
    assert Job.objects.filter(kind="register.housekeeping").count() == 1


@pytest.mark.django_db
def test_the_register_housekeeping_job_runs_its_purges() -> None:
    schedule_periodic(now=utc(2026, 6, 1, 10, 30))
    [job] = _of_kind(schedule_periodic(now=utc(2026, 6, 1, 11, 0)), "register.housekeeping")
    assert job.payload == {"slot": "2026-06-01T11:00:00+00:00"}
    Job.objects.exclude(pk=job.pk).delete()
    assert run_one(worker_id=WORKER_A, now=utc(2026, 6, 1, 11, 0)) == Outcome.DONE
