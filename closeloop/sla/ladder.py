"""When a running deadline needs attention next: its reminders before it falls due, the miss itself,
then each rung of the escalation ladder. Pure: no ORM; the thresholds and the ladder come in as values.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from closeloop.sla.calendar import Schedule, add_working_time, working_time_between
from closeloop.sla.deadlines import WORKING_UNITS


@dataclass(frozen=True)
class Step:
    """An escalation step as the arithmetic needs it (see ``models.EscalationStep``)."""

    order: int
    who: str
    delay: dt.timedelta
    severity: str = ""


@dataclass(frozen=True)
class Clock:
    """One deadline's state: counted from ``start`` (the complaint's received time) to ``due``."""

    start: dt.datetime
    due: dt.datetime
    unit: str
    severity: str
    reminded_percent: int = 0
    breached_at: dt.datetime | None = None
    escalation_level: int = 0


def reminder_at(schedule: Schedule, clock: Clock, percent: int) -> dt.datetime:
    """The instant ``percent`` of the deadline's time is used: working time for working units (so 50 %
    of five working days is midweek, not Thursday night), calendar time otherwise."""
    if clock.unit in WORKING_UNITS:
        total = working_time_between(schedule, clock.start, clock.due)
        if not total:
            return clock.due
        return min(add_working_time(schedule, clock.start, total * percent / 100).at, clock.due)
    return clock.start + (clock.due - clock.start) * percent / 100


def reminders_due(schedule: Schedule, clock: Clock, percents: Iterable[int], now: dt.datetime) -> list[int]:
    """The thresholds (ascending) passed by ``now`` and not yet told, while the deadline still runs."""
    if now >= clock.due:
        return []
    return [
        p
        for p in sorted(set(percents))
        if p > clock.reminded_percent and reminder_at(schedule, clock, p) <= now
    ]


def steps_for(steps: Iterable[Step], severity: str) -> list[Step]:
    """The ladder that applies to a complaint of ``severity``, in climbing order."""
    return sorted((s for s in steps if not s.severity or s.severity == severity), key=lambda s: s.order)


def steps_due(clock: Clock, steps: Sequence[Step], now: dt.datetime) -> list[Step]:
    """The steps above the one reached whose delay after the miss has passed by ``now``, in order."""
    if clock.breached_at is None:
        return []
    out = []
    for s in steps_for(steps, clock.severity):
        if s.order <= clock.escalation_level:
            continue
        if clock.breached_at + s.delay > now:
            break  # climbed in order: a later step never overtakes an earlier one
        out.append(s)
    return out


def next_check(
    schedule: Schedule, clock: Clock, percents: Iterable[int], steps: Sequence[Step]
) -> dt.datetime | None:
    """When the scan must look at the deadline again: the next reminder, else the due time while it
    runs; after the miss, the next rung's time; None once the ladder is climbed to its top."""
    if clock.breached_at is None:
        pending = [p for p in sorted(set(percents)) if p > clock.reminded_percent]
        if pending:
            return min(reminder_at(schedule, clock, pending[0]), clock.due)
        return clock.due
    ahead = [s for s in steps_for(steps, clock.severity) if s.order > clock.escalation_level]
    return clock.breached_at + ahead[0].delay if ahead else None
