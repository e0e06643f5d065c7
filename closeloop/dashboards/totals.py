"""Site-wide rollups: what a cockpit *without filters* reads, so its cost does not grow with the data.

The keyed daily rollups (rollups.py) hold one row per day and (customer, category, product family,
severity); at a million complaints a year a day has hundreds of keys, and summing a year of them, or
grouping them for a Pareto, costs as much as reading the complaints. A cockpit without filters — the
general manager's usual view — needs none of those keys, so the same job also keeps:

- ``DayTotal``: the day's keyed rows summed (counts, deadlines due and met, COPQ);
- ``DayMarginal``: valid complaints received on the day per category, product, customer, root cause;
- ``DayDurations``: the day's cycle-time and first-response histograms with their running totals, so a
  percentile over any period reads two rows (durations.py);
- ``NowSnapshot``: figures about *now* — the open backlog by step, owner and department with its age
  buckets, and overdue serious complaints per customer — recomputed on every run (about a minute).

Every table is written by the same job that writes the keyed rollups and equals the live computation
(tests/test_totals_equal_live.py). Today is never rolled up; readers add it live.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import Coalesce

from closeloop.complaints.models import Complaint
from closeloop.dashboards import durations, live
from closeloop.dashboards.kpi import DashFilters
from closeloop.dashboards.models import DayDurations, DayMarginal, DayTotal, NowSnapshot

ADDITIVE = (
    "received",
    "invalid",
    "repeat",
    "closed",
    "reopened_closed",
    "verdicts",
    "satisfied",
    "score_sum",
    "score_count",
    "copq",
)
# The worker takes them every minute; a refresh after a large backdated import can take minutes, and
# day-bucketed ages and overdue counts five minutes old still tell the general manager the truth.
SNAPSHOT_MAX_AGE = dt.timedelta(minutes=5)


def unfiltered(f: DashFilters) -> bool:
    """True when ``f`` narrows nothing but the dates (the site-wide tables can answer)."""
    return not (f.customer or f.category or f.product_family or f.site)


# --- maintenance, called by rollups.rollup_day_compute and rollups_refresh -----------------------


def day_total_store(day: dt.date, rows: list[dict[str, Any]], deadline_rows: list[dict[str, Any]]) -> None:
    """Replace ``day``'s total with the sum of its keyed figures and deadline rows."""
    total: dict[str, Any] = dict.fromkeys(ADDITIVE, 0)
    total["copq"] = Decimal(0)
    for figures in rows:
        for name, value in figures.items():
            total[name] += value or 0
    deadlines: dict[str, list[int]] = {}
    for r in deadline_rows:
        slot = deadlines.setdefault(r["target"], [0, 0])
        slot[0] += r["n_due"]
        slot[1] += r["n_met"]
    DayTotal.objects.filter(day=day).delete()
    DayTotal.objects.create(day=day, deadlines=deadlines, **total)


def marginal_query(
    dimension: str, start: dt.datetime, end: dt.datetime, cq: QuerySet[Complaint]
) -> QuerySet[Any]:
    """Valid complaints of ``cq`` received in ``[start, end)`` grouped by ``dimension`` as rows of
    ``key`` and ``n`` (the Pareto's grouping: a subcategory counts with its top-level category)."""
    qs = live.valid(cq).filter(received_at__gte=start, received_at__lt=end)
    if dimension == "category":
        rows = qs.values(key=Coalesce("category__parent__code", "category__code"))
    elif dimension == "product":
        rows = qs.values(key=F("product__code"))
    elif dimension == "customer":
        rows = qs.values(key=F("customer__code"))
    else:
        rows = (
            qs.exclude(investigation__root_cause_category="")
            .filter(investigation__isnull=False)
            .values(key=F("investigation__root_cause_category"))
        )
    return rows.annotate(n=Count("id")).order_by()


def day_marginals_store(day: dt.date, start: dt.datetime, end: dt.datetime) -> None:
    from closeloop.dashboards.kpi import PARETO_DIMENSIONS

    DayMarginal.objects.filter(day=day).delete()
    DayMarginal.objects.bulk_create(
        DayMarginal(day=day, dimension=dim, key=r["key"] or "", received=r["n"])
        for dim in PARETO_DIMENSIONS
        for r in marginal_query(dim, start, end, Complaint.objects.all())
    )


def _day_hists(start: dt.datetime, end: dt.datetime, cq: QuerySet[Complaint]) -> dict[str, durations.Hist]:
    return {
        durations.CYCLE: durations.hist_of(durations.CYCLE, live.cycle_pairs(cq, start, end)),
        durations.RESPONSE: durations.hist_of(durations.RESPONSE, live.response_pairs(cq, start, end)),
    }


def day_durations_store(day: dt.date, start: dt.datetime, end: dt.datetime) -> bool:
    """Store ``day``'s histograms; True when one changed (its running totals must then be redone)."""
    changed = False
    stored = {r.kind: r for r in DayDurations.objects.filter(day=day)}
    for kind, hist in _day_hists(start, end, Complaint.objects.all()).items():
        row = stored.get(kind)
        if row is not None and durations.from_json(row.hist) == hist:
            continue
        changed = True
        if row is None:
            DayDurations.objects.create(day=day, kind=kind, hist=durations.to_json(hist))
        else:
            row.hist = durations.to_json(hist)
            row.save(update_fields=["hist"])
    return changed


def cumulative_recompute(from_day: dt.date) -> None:
    """Redo the running totals of every day from ``from_day`` on (after a day's histogram changed)."""
    for kind in durations.KINDS:
        before = DayDurations.objects.filter(kind=kind, day__lt=from_day).order_by("-day").first()
        running = durations.Dense.from_json(before.cumulative) if before else durations.Dense()
        rows = list(DayDurations.objects.filter(kind=kind, day__gte=from_day).order_by("day"))
        for row in rows:
            running = running.add_hist(durations.from_json(row.hist))
            row.cumulative = running.to_json()
        DayDurations.objects.bulk_update(rows, ["cumulative"], batch_size=100)


def drop_before(day: dt.date) -> None:
    for model in (DayTotal, DayMarginal, DayDurations):
        model._default_manager.filter(day__lt=day).delete()


def snapshots_refresh(now: dt.datetime) -> None:
    """Recompute the figures about now (see the module docstring)."""
    from closeloop.dashboards import selectors_backlog

    today = now.astimezone(live_tz()).date()
    everything = Complaint.objects.all()
    for by in ("step", "owner", "department"):
        rows = list(selectors_backlog.ageing_rows(everything, by, today))
        _snapshot_put(f"ageing:{by}", {"today": today.isoformat(), "rows": rows}, now)
    _snapshot_put(
        "overdue_serious",
        {"today": today.isoformat(), "counts": selectors_backlog.overdue_serious(everything, now)},
        now,
    )


def _snapshot_put(name: str, data: dict[str, Any], now: dt.datetime) -> None:
    NowSnapshot.objects.update_or_create(name=name, defaults={"data": data, "computed_at": now})


def live_tz() -> Any:
    from closeloop.dashboards.kpi import site_tz

    return site_tz()


# --- reads ---------------------------------------------------------------------------------------


def counts_sum(day_from: dt.date, last: dt.date) -> live.Counts:
    """The additive figures of the rolled-up days ``day_from``…``last``."""
    c = live.Counts(deadlines={})
    rows = DayTotal.objects.filter(day__gte=day_from, day__lte=last)
    sums = rows.aggregate(**{n: Sum(n) for n in ADDITIVE})
    for name, value in sums.items():
        setattr(c, name, value or (Decimal(0) if name == "copq" else 0))
    for deadlines in rows.values_list("deadlines", flat=True):
        for target, (due, met) in deadlines.items():
            slot = c.deadlines.setdefault(target, [0, 0])  # type: ignore[union-attr]
            slot[0] += due
            slot[1] += met
    return c


def series(day_from: dt.date, last: dt.date) -> dict[dt.date, list[int]]:
    """Per rolled-up day: [received, closed, deadlines due, met on time]."""
    out: dict[dt.date, list[int]] = {}
    for day, received, closed, deadlines in DayTotal.objects.filter(
        day__gte=day_from, day__lte=last
    ).values_list("day", "received", "closed", "deadlines"):
        out[day] = [
            received,
            closed,
            sum(v[0] for v in deadlines.values()),
            sum(v[1] for v in deadlines.values()),
        ]
    return out


def open_before(cut: dt.date) -> int:
    """Valid complaints received before ``cut`` minus those closed before it (rolled-up days only)."""
    sums = DayTotal.objects.filter(day__lt=cut).aggregate(r=Sum("received"), c=Sum("closed"))
    return (sums["r"] or 0) - (sums["c"] or 0)


def marginal_counts(dimension: str, day_from: dt.date, last: dt.date) -> dict[str, int]:
    """key -> valid complaints received on the rolled-up days ``day_from``…``last``."""
    return dict(
        DayMarginal.objects.filter(dimension=dimension, day__gte=day_from, day__lte=last)
        .values_list("key")
        .annotate(n=Sum("received"))
        .order_by()
    )


def durations_hist(kind: str, day_from: dt.date, last: dt.date) -> tuple[durations.Dense, durations.Dense]:
    """The running totals at ``last`` and before ``day_from``: the rolled-up days ``day_from``…``last``
    are their difference (two rows, whatever the period's length)."""
    upto = (
        DayDurations.objects.filter(kind=kind, day__lte=last)
        .order_by("-day")
        .values_list("cumulative", flat=True)
    )
    end = upto.first()
    if end is None:
        return durations.Dense(), durations.Dense()
    before = upto.filter(day__lt=day_from).first()
    return durations.Dense.from_json(end), durations.Dense.from_json(before)


def snapshot_get(name: str, now: dt.datetime) -> dict[str, Any] | None:
    """The snapshot's data when it was computed within SNAPSHOT_MAX_AGE and for today; else None."""
    row = NowSnapshot.objects.filter(name=name, computed_at__gte=now - SNAPSHOT_MAX_AGE).first()
    if row is None or row.computed_at > now:
        return None
    if row.data.get("today") != now.astimezone(live_tz()).date().isoformat():
        return None
    return row.data


def _tail(f: DashFilters, until: dt.date) -> tuple[dt.datetime, dt.datetime] | None:
    """The part of ``f``'s period that is not rolled up (from ``until`` on), as [start, end)."""
    if f.date_to < until:
        return None
    tail = DashFilters(date_from=max(f.date_from, until), date_to=f.date_to)
    return tail.bounds()


def period_durations(f: DashFilters, until: dt.date) -> dict[str, float | None]:
    """durations.figures over ``f``'s whole period: running totals for the rolled-up days, today live."""
    last = min(f.date_to, until - dt.timedelta(days=1))
    today: dict[str, durations.Hist] = {kind: {} for kind in durations.KINDS}
    tail = _tail(f, until)
    if tail is not None:
        today = _day_hists(*tail, Complaint.objects.all())
    periods = {}
    for kind in durations.KINDS:
        end, before = (
            durations_hist(kind, f.date_from, last)
            if last >= f.date_from
            else (durations.Dense(), durations.Dense())
        )
        periods[kind] = durations.Difference(end, before, today[kind])
    return durations.figures(periods[durations.CYCLE], periods[durations.RESPONSE])


def period_marginals(dimension: str, f: DashFilters, until: dt.date) -> dict[str, int]:
    """key -> valid complaints received in ``f``'s period by ``dimension`` (rolled-up days, today live);
    complaints without a value count under the key ``""``."""
    last = min(f.date_to, until - dt.timedelta(days=1))
    out = marginal_counts(dimension, f.date_from, last) if last >= f.date_from else {}
    tail = _tail(f, until)
    if tail is not None:
        for r in marginal_query(dimension, *tail, Complaint.objects.all()):
            key = r["key"] or ""
            out[key] = out.get(key, 0) + r["n"]
    return {k: n for k, n in out.items() if n}
