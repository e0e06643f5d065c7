"""The rollups' work after changes, for the bench's pages part: a day of the generated data's changes
and single minutes of it (:func:`day_of_changes`), and a minute of real changes
(:func:`minute_of_real_changes`): open complaints moved one step on through the services, then the
recompute of what they touch, timed — and all of it rolled back.

The day's minutes replay changes already in the generated data: the footprints stored by the day's
recompute already describe every complaint as it is, so those minutes measure the days a complaint *is*
counted on, whatever changed. The minute of real changes takes as many open complaints as a sampled
minute changed, of the same ages (:func:`ages_of`, :func:`picks`); brings their footprints up to date,
as the worker's refresh after their previous change left them; then really changes each — triaged, its
handling started, resolved, or the customer's verdict recorded — so the recompute meets the difference
a real minute makes. Everything runs in one transaction that is rolled back, so the run is repeatable
and the bench's data is left as it was.
"""

from __future__ import annotations

import bisect
import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from closeloop.accounts.models import User
from closeloop.complaints.handling import (
    complaint_record_verdict,
    complaint_resolve,
    complaint_start_handling,
)
from closeloop.complaints.models import Category, Complaint, HandlingPath
from closeloop.complaints.services import complaint_triage
from closeloop.complaints.workflow import Status
from closeloop.core import clock

# The day whose changes the rollups' "day of changes" case recomputes: a week back, before the bench's own.
DAY_OF_CHANGES_BACK = 7
# The minutes of that day whose changes are recomputed one by one: office hours, every two hours.
MINUTES_SAMPLED = tuple(dt.time(hour, 0) for hour in (8, 10, 12, 14, 16, 18))

# The steps a complaint moves through on the quick path, in the order a minute's changes take them.
STEPS = (Status.NEW, Status.TRIAGED, Status.IN_PROGRESS, Status.AWAITING_CUSTOMER)
# One verdict in this many reopens the complaint: a fixed share, so that a minute with several verdicts
# also meets what a reopening costs the recompute (the closing day it leaves).
REOPEN_EVERY = 8


def _advance(c: Complaint, actor: User, i: int) -> str:
    """Move ``c`` one step on through its service; returns the step's name."""
    if c.status == Status.NEW:
        complaint_triage(
            complaint=c,
            actor=actor,
            # Complaints recorded without one (the bench's own API creates) get the first active one.
            category=c.category or Category.objects.filter(is_active=True).order_by("id").first(),
            severity=c.severity or "general",
            urgency=c.urgency,
            impact_scope=c.impact_scope,
            safety_risk=c.safety_risk,
            handling_path=HandlingPath.QUICK,
        )
        return "triaged"
    if c.status == Status.TRIAGED:
        complaint_start_handling(complaint=c, actor=actor, path=HandlingPath.QUICK)
        return "handling_started"
    if c.status == Status.IN_PROGRESS:
        complaint_resolve(complaint=c, actor=actor, resolution="bench")
        return "resolved"
    satisfied = i % REOPEN_EVERY != 0
    complaint_record_verdict(
        complaint=c,
        actor=actor,
        satisfied=satisfied,
        score=4 if satisfied else None,
        reopen_reason="" if satisfied else "bench",
    )
    return "closed" if satisfied else "reopened"


def ages_of(start: dt.datetime, end: dt.datetime) -> list[dt.timedelta]:
    """How old each complaint changed in ``[start, end)`` of the generated data was then (from its
    receipt to ``start``), oldest first: the ages a real minute's changes reach."""
    from closeloop.dashboards.rollups import complaints_changed

    changed = list(complaints_changed(start, end))
    received = Complaint.objects.filter(id__in=changed).values_list("received_at", flat=True)
    return sorted((start - r for r in received), reverse=True)


def picks(ages: list[dt.timedelta], now: dt.datetime) -> list[Complaint]:
    """For each of ``ages``, the open complaint on the quick path received nearest to ``now`` less that age
    (each taken once): a real minute's changes reach complaints of every age, mostly young ones, and
    those of a given age are counted on that many finished days. Fewer when fewer are open."""
    quick = Q(handling_path=HandlingPath.QUICK) | Q(handling_path="")
    rows = list(
        Complaint.objects.filter(quick, status__in=STEPS)
        .order_by("received_at", "id")
        .values_list("received_at", "id")
    )
    times = [r for r, _ in rows]
    taken: set[int] = set()
    chosen: list[int] = []
    for age in ages[: len(rows)]:
        target = now - age
        above = bisect.bisect_left(times, target)
        below = above - 1
        while below >= 0 and rows[below][1] in taken:  # the nearest not taken yet, looking both ways
            below -= 1
        while above < len(rows) and rows[above][1] in taken:
            above += 1
        nearer_above = below < 0 or (above < len(rows) and times[above] - target <= target - times[below])
        pick = rows[above][1] if nearer_above else rows[below][1]
        taken.add(pick)
        chosen.append(pick)
    by_id = Complaint.objects.in_bulk(chosen)
    return [by_id[i] for i in chosen]


def minute_of_real_changes(
    ages: list[dt.timedelta], actor: User, recompute: Callable[[list[int]], int] | None = None
) -> dict[str, Any]:
    """Move one open complaint of each of ``ages`` (see :func:`picks`) one step on through its service and
    time ``recompute`` of their ids (by default the worker's refresh's recompute of the days their
    changes touch: ``rollups_recompute(every_day=False)``), all rolled back. Their footprints are
    brought up to date first, untimed. Returns the complaints changed, the steps taken, the days
    recomputed whole, the days whose deadline figures moved by a difference (None with another
    ``recompute``) and the seconds."""
    from closeloop.dashboards import footprints, rollups

    counted: dict[str, int] = {}
    recompute = recompute or (lambda ids: rollups.rollups_recompute(ids, every_day=False, out=counted))
    with transaction.atomic():
        chosen = picks(ages, clock.now())
        ids = sorted(c.pk for c in chosen)
        footprints.touched_days_store(ids)
        steps = Counter(_advance(c, actor, i) for i, c in enumerate(chosen, start=1))
        started = time.perf_counter()
        days = recompute(ids)
        seconds = round(time.perf_counter() - started, 2)
        transaction.set_rollback(True)
    return {
        "complaints": len(ids),
        "steps": dict(steps),
        "days_recomputed": days,
        "deadline_days": counted.get("deadline_days"),
        "seconds": seconds,
    }


def day_of_changes(days_back: int = DAY_OF_CHANGES_BACK, *, whole_day: bool = True) -> dict[str, Any]:
    """The rollups' work after one day of changes: every complaint with a timeline row on the local day
    ``days_back`` days ago (the generator's activity that day: arrivals, triages, handling, closures,
    verdicts, reopenings) recomputed as the worker's first refresh after that day recomputes it
    (``rollups_recompute``: the days they are counted on and their repeat followers'). A day back in the
    past, so that what the bench itself writes today (its HTTP and import parts) is not counted in.

    Then ``minutes``: the same for single minutes of that day (``MINUTES_SAMPLED``), as the worker's
    refresh every minute meets them, with the footprints as the day's recompute stored them: the
    seconds and days of each. The refresh's fixed part (the snapshots of now, today's partial day) is
    the "nothing new" case. Without ``whole_day`` nothing is recomputed (``days_recomputed`` and
    ``seconds`` are None, ``minutes`` empty): at ten million complaints a single minute of changes
    touched 76 days, each ten times as dense as at a million, and took 184 s."""
    from closeloop.dashboards.kpi import site_tz
    from closeloop.dashboards.rollups import complaints_changed, rollups_recompute

    day = timezone.localtime(clock.now(), site_tz()).date() - dt.timedelta(days=days_back)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=site_tz())
    ids = complaints_changed(start, start + dt.timedelta(days=1))
    recomputed: int | None = None
    seconds: float | None = None
    if whole_day:
        t = time.perf_counter()
        recomputed = rollups_recompute(ids)
        seconds = round(time.perf_counter() - t, 2)
    minutes = []
    for at in MINUTES_SAMPLED if whole_day else ():
        minute = dt.datetime.combine(day, at, tzinfo=site_tz())
        changed = complaints_changed(minute, minute + dt.timedelta(minutes=1))
        t = time.perf_counter()
        days = rollups_recompute(changed)
        took = round(time.perf_counter() - t, 2)
        minutes.append(
            {"at": minute.isoformat(), "complaints": len(changed), "days_recomputed": days, "seconds": took}
        )
    return {
        "day": day.isoformat(),
        "complaints": len(ids),
        "days_recomputed": recomputed,
        "seconds": seconds,
        "minutes": minutes,
    }
