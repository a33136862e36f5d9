"""Legal deadlines (Directive 2019/1937 art. 9) computed in the organisation's time zone.

A deadline of N days falls at the end of the N-th calendar day after the
event, in local time: correct across daylight-saving changes, where adding
N times 24 hours would be an hour early or late. Months are calendar months,
with the day clamped to the end of a shorter month.
"""

from __future__ import annotations

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _end_of_local_day(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=zone)
    return local.astimezone(dt.UTC)


def due_after_days(moment: dt.datetime, days: int, zone: ZoneInfo | None = None) -> dt.datetime:
    """The end of the local calendar day ``days`` days after ``moment``, in UTC."""
    zone = zone or _zone()
    local_day = moment.astimezone(zone).date() + dt.timedelta(days=days)
    return _end_of_local_day(local_day, zone)


def due_after_months(moment: dt.datetime, months: int, zone: ZoneInfo | None = None) -> dt.datetime:
    """The end of the local day ``months`` calendar months after ``moment``, in UTC."""
    zone = zone or _zone()
    local = moment.astimezone(zone).date()
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return _end_of_local_day(dt.date(year, month, day), zone)
