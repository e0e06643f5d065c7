"""Working-time arithmetic on a working calendar. Pure: no ORM, aware datetimes in and out.

A working day is Monday–Friday unless the day is listed as a holiday (off) or an adjusted working day
(调休, on). A year whose schedule is not loaded counts weekdays only, and any result that leans on such
a day is *provisional*: it will move once that year is loaded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

# Far enough for any deadline (closure within 60 days), near enough to stop a runaway loop.
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Schedule:
    """Working hours (local time) and the days that differ from the usual week."""

    tz: ZoneInfo
    work_start: dt.time = dt.time(8, 30)
    work_end: dt.time = dt.time(17, 30)
    lunch: tuple[dt.time, dt.time] | None = (dt.time(12, 0), dt.time(13, 0))
    special_days: Mapping[dt.date, bool] = field(default_factory=dict)  # date -> is a working day
    known_years: frozenset[int] = frozenset()

    def is_working_day(self, day: dt.date) -> tuple[bool, bool]:
        """``(working, exact)``: exact is False when the day's year has no loaded schedule."""
        if day.year not in self.known_years:
            return day.weekday() < 5, False
        if day in self.special_days:
            return self.special_days[day], True
        return day.weekday() < 5, True

    def periods(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The working periods of ``day`` as aware datetimes (empty on a day off)."""
        working, _exact = self.is_working_day(day)
        if not working:
            return []

        def at(t: dt.time) -> dt.datetime:
            return dt.datetime.combine(day, t, tzinfo=self.tz)

        if self.lunch and self.work_start < self.lunch[0] < self.lunch[1] < self.work_end:
            return [(at(self.work_start), at(self.lunch[0])), (at(self.lunch[1]), at(self.work_end))]
        return [(at(self.work_start), at(self.work_end))]

    @property
    def day_length(self) -> dt.timedelta:
        """Working time in one working day."""
        probe = dt.date(2001, 1, 1)  # a Monday; only the hours matter
        periods = Schedule(self.tz, self.work_start, self.work_end, self.lunch, {}, frozenset()).periods(
            probe
        )
        return sum((b - a for a, b in periods), dt.timedelta())


@dataclass(frozen=True)
class Result:
    at: dt.datetime
    provisional: bool


def _days(start: dt.date) -> Iterator[dt.date]:
    for i in range(MAX_DAYS):
        yield start + dt.timedelta(days=i)


def add_working_time(schedule: Schedule, start: dt.datetime, amount: dt.timedelta) -> Result:
    """The instant ``amount`` of working time after ``start`` (which may fall outside working hours).

    Provisional when any day it counted, or skipped, lies in a year without a loaded schedule."""
    if start.tzinfo is None:
        raise ValueError("add_working_time needs an aware datetime")
    local = start.astimezone(schedule.tz)
    left = amount
    provisional = False
    for day in _days(local.date()):
        _working, exact = schedule.is_working_day(day)
        provisional = provisional or not exact
        for a, b in schedule.periods(day):
            a = max(a, local)
            if a >= b:
                continue
            if b - a >= left:
                return Result((a + left).astimezone(dt.UTC), provisional)
            left -= b - a
    raise ValueError("working time reaches too far ahead")


def add_working_days(schedule: Schedule, start: dt.datetime, days: int) -> Result:
    """``days`` working days after ``start``: the same time of day, that many working days later (working
    days are counted as whole days of working time, so a start after hours counts from the next morning)."""
    return add_working_time(schedule, start, schedule.day_length * days)


def working_time_between(schedule: Schedule, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
    """Working time from ``a`` to ``b`` (zero when b <= a): e.g. how long a clock was paused."""
    if b <= a:
        return dt.timedelta()
    la, lb = a.astimezone(schedule.tz), b.astimezone(schedule.tz)
    total = dt.timedelta()
    for day in _days(la.date()):
        if day > lb.date():
            break
        for p, q in schedule.periods(day):
            lo, hi = max(p, la), min(q, lb)
            if hi > lo:
                total += hi - lo
    return total


def years_touched(start: dt.datetime, end: dt.datetime, tz: ZoneInfo) -> set[int]:
    return set(range(start.astimezone(tz).year, end.astimezone(tz).year + 1))
