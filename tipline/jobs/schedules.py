"""When periodic jobs fall due: pure time arithmetic, no database.

Every run time is an aware UTC datetime. Two kinds of schedule:

* ``Every(interval)``: elapsed time. Slots are multiples of ``interval`` counted from the
  UNIX epoch in UTC, so every worker computes the same slots and daylight-saving
  changes cannot stretch, shrink or repeat them.
* ``DailyAt(at, tz)``: wall-clock time in a named zone (``03:00 Europe/Berlin``). On the
  spring-forward day a time inside the gap runs once, just after the gap (02:30 becomes
  03:30 CEST); on the fall-back day a repeated time runs once, at its first occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tipline.jobs.exceptions import InvalidSchedule, NaiveDateTime

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class Schedule(Protocol):
    def next_after(self, moment: datetime) -> datetime:
        """The first run time strictly after ``moment``, as an aware UTC datetime."""
        ...


def as_utc(moment: datetime, what: str = "moment") -> datetime:
    """``moment`` in UTC; a naive datetime is refused rather than guessed."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise NaiveDateTime(what)
    return moment.astimezone(UTC)


@dataclass(frozen=True)
class Every:
    """Every ``interval`` of elapsed time, on slots aligned to the UNIX epoch (UTC)."""

    interval: timedelta

    def __post_init__(self) -> None:
        if self.interval < timedelta(seconds=1):
            msg = f"a periodic interval must be at least one second; got {self.interval}"
            raise InvalidSchedule(msg)

    def next_after(self, moment: datetime) -> datetime:
        step = self.interval // _MICROSECOND
        elapsed = (as_utc(moment) - EPOCH) // _MICROSECOND
        return EPOCH + (elapsed // step + 1) * step * _MICROSECOND


@dataclass(frozen=True)
class DailyAt:
    """Once a day at wall-clock time ``at`` in zone ``tz``."""

    at: time
    tz: ZoneInfo

    def __post_init__(self) -> None:
        if self.at.tzinfo is not None:
            msg = "DailyAt takes a naive wall-clock time and the zone separately"
            raise InvalidSchedule(msg)

    @classmethod
    def in_zone(cls, at: time, tz: str) -> DailyAt:
        try:
            return cls(at=at, tz=ZoneInfo(tz))
        except (ZoneInfoNotFoundError, ValueError):
            msg = f"unknown time zone {tz!r}"
            raise InvalidSchedule(msg) from None

    def next_after(self, moment: datetime) -> datetime:
        moment = as_utc(moment)
        day = moment.astimezone(self.tz).date()
        while True:
            # fold=0: inside a gap this is the time just after the gap, and of a repeated
            # hour it is the first occurrence, so each local day yields exactly one run.
            candidate = datetime.combine(day, self.at, tzinfo=self.tz).astimezone(UTC)
            if candidate > moment:
                return candidate
            day += timedelta(days=1)
