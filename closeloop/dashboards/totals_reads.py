"""The reads of the site-wide and one-filter rollups (``totals``): a slice's additive figures, daily
series and open backlog on rolled-up days, its marginals for a period, the snapshots of now, and the
duration histograms of a period. What ``totals`` writes, these read; what was not rolled up (today,
unless the worker's partial roll-up of it is fresh) the callers count live.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum

from closeloop.complaints.models import Complaint
from closeloop.core import clock
from closeloop.dashboards import blocks, durations, live, reading
from closeloop.dashboards.kpi import DashFilters
from closeloop.dashboards.models import DayMarginal, DayTotal, NowSnapshot
from closeloop.dashboards.totals import ADDITIVE, SNAPSHOT_MAX_AGE, live_tz, marginal_query

# Within one reading (reading.py) a slice's day totals from this many days back are read once and
# summed in memory: the KPIs of two periods, the backlog at their ends and the trend's twelve months.
RECENT_DAYS = 800


def _recent(s: str) -> tuple[dt.date, list[tuple[Any, ...]]] | None:
    """(first day held, rows of ``(day, *ADDITIVE, deadlines)``) of slice ``s`` when a reading is
    active; None otherwise."""
    if not reading.active():
        return None
    horizon = clock.now().astimezone(live_tz()).date() - dt.timedelta(days=RECENT_DAYS)
    return horizon, reading.remembered(
        ("day_totals", s),
        lambda: list(
            DayTotal.objects.filter(slice=s, day__gte=horizon).values_list("day", *ADDITIVE, "deadlines")
        ),
    )


def counts_sum(s: str, day_from: dt.date, last: dt.date) -> live.Counts:
    """The additive figures of slice ``s`` on the rolled-up days ``day_from``…``last``."""
    c = live.Counts(deadlines={})
    recent = _recent(s)
    if recent is not None and day_from >= recent[0]:
        rows = [r for r in recent[1] if day_from <= r[0] <= last]
        for i, name in enumerate(ADDITIVE, start=1):
            setattr(c, name, sum(r[i] for r in rows))
        if not isinstance(c.copq, Decimal):
            c.copq = Decimal(c.copq)
        all_deadlines = [r[-1] for r in rows]
    else:
        qs = DayTotal.objects.filter(slice=s, day__gte=day_from, day__lte=last)
        sums = qs.aggregate(**{n: Sum(n) for n in ADDITIVE})
        for name, value in sums.items():
            setattr(c, name, value or (Decimal(0) if name == "copq" else 0))
        all_deadlines = list(qs.values_list("deadlines", flat=True))
    for deadlines in all_deadlines:
        for target, (due, met) in deadlines.items():
            slot = c.deadlines.setdefault(target, [0, 0])  # type: ignore[union-attr]
            slot[0] += due
            slot[1] += met
    return c


def series(s: str, day_from: dt.date, last: dt.date) -> dict[dt.date, list[int]]:
    """Per rolled-up day of slice ``s``: [received, closed, deadlines due, met on time]."""
    recent = _recent(s)
    received_at, closed_at = 1 + ADDITIVE.index("received"), 1 + ADDITIVE.index("closed")
    if recent is not None and day_from >= recent[0]:
        rows = [(r[0], r[received_at], r[closed_at], r[-1]) for r in recent[1] if day_from <= r[0] <= last]
    else:
        rows = list(
            DayTotal.objects.filter(slice=s, day__gte=day_from, day__lte=last).values_list(
                "day", "received", "closed", "deadlines"
            )
        )
    return {
        day: [
            received,
            closed,
            sum(v[0] for v in deadlines.values()),
            sum(v[1] for v in deadlines.values()),
        ]
        for day, received, closed, deadlines in rows
    }


def open_before(s: str, cut: dt.date) -> int:
    """Valid complaints of slice ``s`` received before ``cut`` minus those closed before it (rolled-up
    days only)."""
    recent = _recent(s)
    if recent is not None and cut >= recent[0]:
        horizon, rows = recent
        before = reading.remembered(("open_before", s, horizon), lambda: _open_before_query(s, horizon))
        received_at, closed_at = 1 + ADDITIVE.index("received"), 1 + ADDITIVE.index("closed")
        return before + sum(r[received_at] - r[closed_at] for r in rows if r[0] < cut)
    return _open_before_query(s, cut)


def _open_before_query(s: str, cut: dt.date) -> int:
    sums = DayTotal.objects.filter(slice=s, day__lt=cut).aggregate(r=Sum("received"), c=Sum("closed"))
    return (sums["r"] or 0) - (sums["c"] or 0)


def marginal_counts(s: str, dimension: str, day_from: dt.date, last: dt.date) -> dict[str, int]:
    """key -> valid complaints of slice ``s`` received on the rolled-up days ``day_from``…``last``.
    Within one reading, every dimension of a range is read at once (the four Paretos and the
    customers at risk share it)."""
    if reading.active():
        every = reading.remembered(("marginals", s, day_from, last), lambda: _marginals(s, day_from, last))
        return dict(every.get(dimension, {}))
    return dict(
        DayMarginal.objects.filter(slice=s, dimension=dimension, day__gte=day_from, day__lte=last)
        .values_list("key")
        .annotate(n=Sum("received"))
        .order_by()
    )


def _marginals(s: str, day_from: dt.date, last: dt.date) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for dimension, key, n in (
        DayMarginal.objects.filter(slice=s, day__gte=day_from, day__lte=last)
        .values_list("dimension", "key")
        .annotate(n=Sum("received"))
        .order_by()
    ):
        out.setdefault(dimension, {})[key] = n
    return out


def snapshot_get(name: str, s: str, now: dt.datetime) -> dict[str, Any] | None:
    """Snapshot ``name`` of slice ``s`` when the worker computed the snapshots within SNAPSHOT_MAX_AGE and
    for today (a slice without a row then had nothing: ``{}``); None when they are stale."""
    found = {
        row.name: row
        for row in NowSnapshot.objects.filter(
            name__in=["run", f"{name}|{s}"], computed_at__gte=now - SNAPSHOT_MAX_AGE
        )
    }
    run = found.get("run")
    if run is None or run.computed_at > now:
        return None
    if run.data.get("today") != now.astimezone(live_tz()).date().isoformat():
        return None
    row = found.get(f"{name}|{s}")
    return row.data if row is not None and row.computed_at == run.computed_at else {}


def _tail(f: DashFilters, until: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
    """The part of ``f``'s period that is not rolled up (from ``until`` on), as [start, end)."""
    if f.date_to < until:
        return None
    tail = DashFilters(date_from=max(f.date_from, until), date_to=f.date_to)
    return tail.bounds()


def period_durations(
    s: str,
    periods: list[DashFilters],
    until: dt.date,
    cq: QuerySet[Complaint],
    related: dict[str, Any] | None,
) -> list[dict[str, float | None]]:
    """durations.figures of slice ``s`` over each of ``periods``: the blocks of the rolled-up days, and
    the days from ``until`` on counted live from ``cq`` (the slice's complaints; ``related``: see
    live.of_valid)."""
    today = clock.now().astimezone(live_tz()).date()
    rolled = blocks.period_parts(
        s, [(f.date_from, min(f.date_to, until - dt.timedelta(days=1))) for f in periods], today
    )
    out = []
    for f, parts in zip(periods, rolled, strict=True):
        tail = _tail(f, until)
        if tail is not None:
            cycle = durations.hist_of(durations.CYCLE, live.cycle_pairs(cq, *tail))
            response = durations.hist_of(durations.RESPONSE, live.response_pairs(cq, *tail, related))
            parts = {
                durations.CYCLE: [*parts[durations.CYCLE], durations.Sorted.of(cycle)],
                durations.RESPONSE: [*parts[durations.RESPONSE], durations.Sorted.of(response)],
            }
        out.append(durations.figures(parts[durations.CYCLE], parts[durations.RESPONSE]))
    return out


def period_marginals(
    s: str, dimension: str, f: DashFilters, until: dt.date, cq: QuerySet[Complaint]
) -> dict[str, int]:
    """key -> valid complaints of slice ``s`` received in ``f``'s period by ``dimension`` (rolled-up
    days, and from ``until`` on counted live from ``cq``, the slice's complaints); complaints without a
    value count under the key ``""``."""
    last = min(f.date_to, until - dt.timedelta(days=1))
    out = marginal_counts(s, dimension, f.date_from, last) if last >= f.date_from else {}
    tail = _tail(f, until)
    if tail is not None:
        for r in marginal_query(dimension, *tail, cq):
            key = r["key"] or ""
            out[key] = out.get(key, 0) + r["n"]
    return {k: n for k, n in out.items() if n}
