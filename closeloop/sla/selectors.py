"""Reads of working calendars: the schedule the deadline arithmetic runs on, and which years lack data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from closeloop.core import clock
from closeloop.sla.calendar import MAX_DAYS, Schedule
from closeloop.sla.ladder import Step
from closeloop.sla.models import (
    CalendarDay,
    CalendarYear,
    ClockPause,
    DayKind,
    Deadline,
    EscalationStep,
    ReminderThreshold,
    Target,
    WorkCalendar,
)


def calendar_default() -> WorkCalendar:
    """The default calendar (created by the first migration; recreated here if an admin removed it)."""
    cal = WorkCalendar.objects.filter(is_default=True).first()
    if cal is None:
        cal, _created = WorkCalendar.objects.get_or_create(
            code="default", defaults={"name": "默认工作日历", "is_default": True}
        )
    return cal


def schedule_get(*, calendar: WorkCalendar | None = None, since: dt.date | None = None) -> Schedule:
    """The working schedule of ``calendar`` (the default one if None). With ``since``, only the special
    days from then on as far as any deadline can reach (a few dozen rows a year) are read."""
    cal = calendar or calendar_default()
    days = CalendarDay.objects.all()
    if since is not None:
        days = days.filter(date__gte=since, date__lt=since + dt.timedelta(days=MAX_DAYS))
    lunch = (cal.lunch_start, cal.lunch_end) if cal.lunch_start and cal.lunch_end else None
    return Schedule(
        tz=ZoneInfo(cal.time_zone),
        work_start=cal.work_start,
        work_end=cal.work_end,
        lunch=lunch,
        special_days={d: k == DayKind.WORKDAY for d, k in days.values_list("date", "kind")},
        known_years=frozenset(CalendarYear.objects.values_list("year", flat=True)),
    )


def calendar_years_missing() -> list[int]:
    """This year and next, when their schedule is not loaded: the administrators should load them
    (the State Council publishes next year's schedule in the autumn)."""
    this_year = clock.today().year
    known = set(
        CalendarYear.objects.filter(year__in=[this_year, this_year + 1]).values_list("year", flat=True)
    )
    return [y for y in (this_year, this_year + 1) if y not in known]


def deadline_rows(deadlines: Iterable[Deadline], *, now: dt.datetime) -> list[dict[str, Any]]:
    """Deadlines as people and the API read them: ``met`` is True (reached in time), False (reached late,
    or overdue now) or None (still running, or paused); ``breached_at`` is when it was missed;
    ``paused`` says its clock stands still while the complaint waits on the customer."""
    rows = []
    for d in sorted(deadlines, key=lambda d: (d.due_at, d.pk)):
        paused = d.met_at is None and d.paused_at is not None
        # Paused before its due time, it is not overdue: it moves later when the clock resumes. One
        # already missed when the wait began stays missed.
        moves_later = paused and d.paused_at is not None and d.paused_at < d.due_at
        if d.met_at is not None:
            met: bool | None = d.met_at <= d.due_at
            breached = d.breached_at
        elif now > d.due_at and not moves_later:
            met, breached = False, d.due_at
        else:
            met, breached = None, None
        rows.append(
            {
                "target": d.target,
                "label": str(Target(d.target).label),
                "due_at": d.due_at,
                "met": met,
                "met_at": d.met_at,
                "breached_at": breached,
                "provisional": d.provisional,
                "paused": paused,
            }
        )
    return rows


def clock_pause_current(*, complaint_id: int) -> ClockPause | None:
    """The complaint's open pause (at most one), or None while its clocks run."""
    return ClockPause.objects.filter(complaint_id=complaint_id, ended_at__isnull=True).first()


def pauses_ended(*, complaint_id: int) -> list[tuple[dt.datetime, dt.datetime]]:
    """``(started_at, ended_at)`` of the complaint's ended pauses, in time order."""
    rows = ClockPause.objects.filter(complaint_id=complaint_id, ended_at__isnull=False).order_by("started_at")
    return [(a, b) for a, b in rows.values_list("started_at", "ended_at") if b is not None]


def reminder_percents() -> list[int]:
    """The active reminder thresholds, ascending (e.g. ``[50, 80]``)."""
    return list(
        ReminderThreshold.objects.filter(is_active=True).order_by("percent").values_list("percent", flat=True)
    )


def escalation_steps() -> list[Step]:
    """The active escalation ladder, in climbing order."""
    return [
        Step(order=s.order, who=s.who, delay=dt.timedelta(hours=s.delay_hours), severity=s.severity)
        for s in EscalationStep.objects.filter(is_active=True).order_by("order")
    ]
