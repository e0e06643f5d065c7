"""Which policy applies and when a target falls due. Pure: no ORM writes; policies come in as a list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from closeloop.sla.calendar import (
    Result,
    Schedule,
    add_working_days,
    add_working_time,
    working_time_between,
)
from closeloop.sla.models import DeadlinePolicy, Unit


@dataclass(frozen=True)
class Facts:
    """What a policy matches on. ``category_ids`` holds the category and its ancestors."""

    severity: str
    urgency: str
    category_ids: frozenset[int]
    customer_id: int | None


def policy_choose(policies: Iterable[DeadlinePolicy], target: str, facts: Facts) -> DeadlinePolicy | None:
    """The most specific active policy for ``target`` (customer, then category, then severity, then
    urgency outweigh each other in that order); ties go to the lowest id."""
    best: tuple[int, int] | None = None
    chosen = None
    for p in policies:
        if not p.is_active or p.target != target:
            continue
        if p.customer_id is not None and p.customer_id != facts.customer_id:
            continue
        if p.category_id is not None and p.category_id not in facts.category_ids:
            continue
        if p.severity and p.severity != facts.severity:
            continue
        if p.urgency and p.urgency != facts.urgency:
            continue
        score = (
            8 * (p.customer_id is not None)
            + 4 * (p.category_id is not None)
            + 2 * bool(p.severity)
            + bool(p.urgency)
        )
        key = (score, -p.pk)
        if best is None or key > best:
            best, chosen = key, p
    return chosen


def due_compute(schedule: Schedule, start: dt.datetime, amount: int, unit: str) -> Result:
    """When ``amount`` ``unit`` after ``start`` falls due; calendar units are never provisional."""
    if unit == Unit.CALENDAR_HOURS:
        return Result(start + dt.timedelta(hours=amount), False)
    if unit == Unit.CALENDAR_DAYS:
        return Result(start + dt.timedelta(days=amount), False)
    if unit == Unit.WORKING_HOURS:
        return add_working_time(schedule, start, dt.timedelta(hours=amount))
    return add_working_days(schedule, start, amount)


WORKING_UNITS = frozenset({Unit.WORKING_HOURS, Unit.WORKING_DAYS})


def due_shift(schedule: Schedule, due: Result, unit: str, paused: tuple[dt.datetime, dt.datetime]) -> Result:
    """``due`` moved later by the paused stretch: its working time for working units (a weekend in a
    pause costs nothing), its calendar time otherwise. Provisional when the old due time was, or the
    arithmetic leaned on a year without a loaded schedule."""
    start, end = paused
    if unit not in WORKING_UNITS:
        return Result(due.at + max(end - start, dt.timedelta()), due.provisional)
    span = working_time_between(schedule, start, end)
    if not span:
        return due  # adding nothing would still roll an end-of-day due time to the next morning
    moved = add_working_time(schedule, due.at, span)
    unknown = any(y not in schedule.known_years for y in range(start.year, end.year + 1))
    return Result(moved.at, due.provisional or moved.provisional or unknown)


def due_compute_paused(
    schedule: Schedule,
    start: dt.datetime,
    amount: int,
    unit: str,
    pauses: Iterable[tuple[dt.datetime, dt.datetime]],
) -> Result:
    """:func:`due_compute`, then moved later by every ended pause (in time order) that began before the
    deadline fell due: a deadline already missed when the complaint began waiting stays missed."""
    due = due_compute(schedule, start, amount, unit)
    for paused in sorted(pauses):
        if paused[0] < due.at:
            due = due_shift(schedule, due, unit, paused)
    return due


def applicable_targets(
    all_targets: Sequence[str], *, eight_d: bool, eight_d_targets: Iterable[str]
) -> list[str]:
    skip = set() if eight_d else set(eight_d_targets)
    return [t for t in all_targets if t not in skip]
