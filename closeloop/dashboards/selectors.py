"""The cockpit's reads. Every figure is scoped by ``complaint_visible_qs`` (a salesperson counts their own
customers' complaints) and the cockpit's filters; the counting rules are in kpi.py and in
``KPI_DEFINITIONS``. Additive figures come from the daily rollups when they are fresh (rollups.py),
from the operational tables otherwise; both give the same answer (tests/test_rollup_equals_live.py).

Drills: for a count, the list parameters show exactly the complaints counted; for a rate, the complaints
of its numerator; for a median, those of its sample (``denominator``). ``{}`` when the list cannot.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from closeloop.complaints.workflow import OPEN_STATUSES, Status
from closeloop.core import clock
from closeloop.core.errors import FieldErrors
from closeloop.customers.models import Customer
from closeloop.dashboards import drills, labels, live, rollup_reads, totals_reads
from closeloop.dashboards.kpi import (
    KPI_DEFINITIONS,
    PARETO_DIMENSIONS,
    TREND_GRAINS,
    DashFilters,
    Kpi,
    ParetoRow,
    TrendPoint,
)

VALID_STATUSES = ",".join(s for s in Status.values if s not in live.NOT_VALID)
OPEN_LIST = ",".join(s for s in Status.values if s in OPEN_STATUSES)


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def counts_get(*, user: Any, f: DashFilters, now: dt.datetime) -> live.Counts:
    """The additive figures of ``f``'s period: from the rollups when they can answer (see
    rollup_reads.counts_from_rollups), live otherwise."""

    answer = rollup_reads.counts_from_rollups(user=user, f=f, now=now)
    if answer is not None:
        return answer
    start, end = f.bounds()
    return live.counts_live(
        live.scope_qs(user=user, f=f), start, end, now, live.scope_related(user=user, f=f)
    )


def open_get(*, user: Any, f: DashFilters, now: dt.datetime) -> int:

    answer = rollup_reads.open_from_rollups(user=user, f=f, now=now)
    if answer is not None:
        return answer
    return live.open_live(live.scope_qs(user=user, f=f), f.bounds()[1])


def _durations_get(*, user: Any, f: DashFilters, cq: Any) -> dict[str, float | None]:
    """Cycle-time and first-response percentiles: from the slice's histogram blocks without filters or
    with one (a handful of rows per period), live otherwise; equal either way (durations.py)."""

    related = live.scope_related(user=user, f=f)
    sliced = rollup_reads.slice_for(user, f)
    if sliced is not None:
        return totals_reads.period_durations(sliced[0], [f], sliced[1], cq, related)[0]
    return live.durations_live(cq, *f.bounds(), related)


def _figures(*, user: Any, f: DashFilters, now: dt.datetime) -> dict[str, tuple[Any, int | None, int | None]]:
    """code -> (value, numerator, denominator) for one period."""
    c = counts_get(user=user, f=f, now=now)
    cq = live.scope_qs(user=user, f=f)
    out: dict[str, tuple[Any, int | None, int | None]] = {
        "received": (c.received, None, None),
        "invalid": (c.invalid, None, None),
        "closed": (c.closed, None, None),
        "open": (open_get(user=user, f=f, now=now), None, None),
    }
    met, due = c.timely()
    out["timely_rate"] = (_rate(met, due), met, due)
    for code, target in live.TIMELY_TARGETS.items():
        met, due = c.timely([target])
        out[code] = (_rate(met, due), met, due)
    mean = round(c.score_sum / c.score_count, 2) if c.score_count else None
    out["satisfaction_mean"] = (mean, c.score_sum, c.score_count)
    out["satisfaction_rate"] = (_rate(c.satisfied, c.verdicts), c.satisfied, c.verdicts)
    out["repeat_rate"] = (_rate(c.repeat, c.received), c.repeat, c.received)
    out["reopen_rate"] = (_rate(c.reopened_closed, c.closed), c.reopened_closed, c.closed)
    out["copq"] = (float(c.copq), None, None)
    durations = _durations_get(user=user, f=f, cq=cq)
    out["cycle_median_days"] = (durations["cycle_median_days"], None, c.closed)
    out["cycle_p90_days"] = (durations["cycle_p90_days"], None, c.closed)
    out["first_response_hours"] = (durations["first_response_hours"], None, int(durations["response_n"] or 0))
    out["overdue_actions"] = (
        live.overdue_actions_live(cq, f.date_to, live.scope_related(user=user, f=f)),
        None,
        None,
    )
    return out


def _drills(f: DashFilters, now: dt.datetime) -> dict[str, dict[str, str]]:
    base = f.drill_base()
    received = {**base, "received_from": f.date_from.isoformat(), "received_to": f.date_to.isoformat()}
    closed = {
        **base,
        "status": Status.CLOSED.value,
        "closed_from": f.date_from.isoformat(),
        "closed_to": f.date_to.isoformat(),
    }
    return {
        "received": {**received, "status": VALID_STATUSES},
        "invalid": {**received, "status": f"{Status.REJECTED.value},{Status.MERGED.value}"},
        "closed": closed,
        # Only the current state is listable: a past period's backlog has changed since.
        "open": {**base, "status": OPEN_LIST} if f.bounds()[1] > now else {},
        "repeat_rate": {**received, "status": VALID_STATUSES, "repeat": "1"},
        "reopen_rate": {**closed, "reopened": "1"},
        "cycle_median_days": closed,
        "cycle_p90_days": closed,
        **drills.kpi_drills(f),
    }


def kpis_get(*, user: Any, f: DashFilters) -> dict[str, Kpi]:
    """Every KPI of KPI_DEFINITIONS for ``f`` with the previous period's value, scoped to ``user``."""
    now = clock.now()
    current = _figures(user=user, f=f, now=now)
    previous = _figures(user=user, f=f.previous(), now=now)
    drills = _drills(f, now)
    return {
        code: Kpi(
            code=code,
            value=current[code][0],
            numerator=current[code][1],
            denominator=current[code][2],
            previous=previous[code][0],
            unit=definition.unit,
            drill=drills.get(code, {}),
        )
        for code, definition in KPI_DEFINITIONS.items()
    }


def choice_check(field: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise FieldErrors.single(field, _("Choose one of: %(choices)s.") % {"choices": ", ".join(allowed)})


def _pareto_counts(*, user: Any, f: DashFilters, dimension: str) -> list[dict[str, Any]]:
    """Rows of ``key``, ``label`` (as stored: Chinese master-data names, cause codes) and ``n``, most
    first (ties by key): from the slice's marginals without filters or with one, live otherwise."""

    sliced = rollup_reads.slice_for(user, f)
    if sliced is not None:
        counts = totals_reads.period_marginals(
            sliced[0], dimension, f, sliced[1], live.scope_qs(user=user, f=f)
        )
        labels = _stored_labels(dimension, [k for k in counts if k])
        rows = [{"key": k, "label": labels.get(k, k), "n": n} for k, n in counts.items()]
        return sorted(rows, key=lambda r: (-r["n"], r["key"] or ""))
    start, end = f.bounds()
    qs = live.valid(live.scope_qs(user=user, f=f)).filter(received_at__gte=start, received_at__lt=end)
    if dimension == "category":
        grouped = qs.values(
            key=Coalesce("category__parent__code", "category__code"),
            label=Coalesce("category__parent__name", "category__name"),
        )
    elif dimension == "product":
        grouped = qs.values(key=F("product__code"), label=F("product__name"))
    elif dimension == "customer":
        grouped = qs.values(key=F("customer__code"), label=F("customer__name"))
    else:
        qs = qs.exclude(investigation__root_cause_category="").filter(investigation__isnull=False)
        grouped = qs.values(
            key=F("investigation__root_cause_category"), label=F("investigation__root_cause_category")
        )
    counted: list[dict[str, Any]] = [dict(r) for r in grouped.annotate(n=Count("id")).order_by()]
    return sorted(counted, key=lambda r: (-r["n"], r["key"] or ""))


def _stored_labels(dimension: str, keys: list[str]) -> dict[str, str]:
    """The labels the live grouping reads, for the marginals' keys."""
    from closeloop.complaints.models import Category
    from closeloop.customers.models import Product

    if dimension == "category":
        return dict(Category.objects.filter(code__in=keys).values_list("code", "name"))
    if dimension == "product":
        return dict(Product.objects.filter(code__in=keys).values_list("code", "name"))
    if dimension == "customer":
        return dict(Customer.objects.filter(code__in=keys).values_list("code", "name"))
    return {k: k for k in keys}


def pareto_get(*, user: Any, f: DashFilters, dimension: str) -> list[ParetoRow]:
    """Valid complaints received in the period by ``dimension``, most first (ties by key). ``category``
    groups by top-level category; ``root_cause`` by the verified D4 cause category (人机料法环测) of the
    complaint's 8D, leaving out complaints without one. Raises ValidationFailed("dimension")."""
    choice_check("dimension", dimension, PARETO_DIMENSIONS)
    counted = _pareto_counts(user=user, f=f, dimension=dimension)
    names = labels.pareto_labels(dimension, counted)
    total = sum(r["n"] for r in counted)
    out, running = [], 0
    for r in counted:
        running += r["n"]
        key = r["key"] or ""
        out.append(
            ParetoRow(
                key=key,
                label=names[key],
                count=r["n"],
                share=round(r["n"] / total, 4),
                cumulative_share=round(running / total, 4),
                drill=drills.pareto_drill(f, dimension, key),
            )
        )
    return out


def trend_periods(date_to: dt.date, grain: str) -> list[tuple[dt.date, dt.date, str]]:
    """The 12 calendar weeks (Monday first) or months ending with the one holding ``date_to``, as
    (first day, last day, label); the last is cut at ``date_to``."""
    out: list[tuple[dt.date, dt.date, str]] = []
    if grain == "week":
        monday = date_to - dt.timedelta(days=date_to.weekday())
        for i in range(11, -1, -1):
            s = monday - dt.timedelta(weeks=i)
            year, week, _day = s.isocalendar()
            out.append((s, min(s + dt.timedelta(days=6), date_to), f"{year}-W{week:02d}"))
        return out
    y, m = date_to.year, date_to.month
    for i in range(11, -1, -1):
        yy, mm = divmod(y * 12 + m - 1 - i, 12)
        s = dt.date(yy, mm + 1, 1)
        nxt = dt.date(yy + (mm + 1) // 12, (mm + 1) % 12 + 1, 1)
        out.append((s, min(nxt - dt.timedelta(days=1), date_to), f"{s:%Y-%m}"))
    return out


def trend_get(*, user: Any, f: DashFilters, grain: str) -> list[TrendPoint]:
    """received / closed / timely rate per week or month (see :func:`trend_periods`); ``f``'s start
    date is ignored. Raises ValidationFailed("grain").

    Rolled-up days are read for all twelve periods at once (two grouped queries); a period reaching
    past the rolled-up days (today), or a user the rollups cannot serve, is counted as
    :func:`counts_get` counts it, so the figures are the same either way."""

    choice_check("grain", grain, TREND_GRAINS)
    now = clock.now()
    periods = trend_periods(f.date_to, grain)
    whole = _period(f, periods[0][0], f.date_to)
    daily = rollup_reads.daily_series_from_rollups(user=user, f=whole)
    points = []
    for start, end, label in periods:
        if daily is not None and end < daily[0]:
            days = [v for d, v in daily[1].items() if start <= d <= end]
            received, closed = sum(v[0] for v in days), sum(v[1] for v in days)
            due, met = sum(v[2] for v in days), sum(v[3] for v in days)
        else:
            c = counts_get(user=user, f=_period(f, start, end), now=now)
            received, closed = c.received, c.closed
            met, due = c.timely()
        points.append(
            TrendPoint(
                start=start, label=label, received=received, closed=closed, timely_rate=_rate(met, due)
            )
        )
    return points


def _period(f: DashFilters, start: dt.date, end: dt.date) -> DashFilters:
    return f.dated(start, end)
