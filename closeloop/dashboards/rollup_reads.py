"""Reading the daily rollups (their maintenance is ``rollups``): which days a reader may take from them,
and the cockpit's additive figures, series and open backlog summed from them, with the days not rolled up
yet (today) counted live. A page reads every figure against one rollup state (:func:`one_reading`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum

from closeloop.complaints.workflow import Status
from closeloop.core import clock
from closeloop.customers.models import Customer, Site
from closeloop.dashboards import live, reading, slices, totals, totals_reads
from closeloop.dashboards.kpi import DashFilters, day_bounds
from closeloop.dashboards.models import DailyRollup, DeadlineRollup, RollupState


def _rollup_qs(model: Any, f: DashFilters) -> QuerySet[Any] | None:
    """Rows matching ``f``'s filters, or None when a filter names nothing (the answer is then zero)."""
    qs = model._default_manager.all()
    if f.customer:
        cid = Customer.objects.filter(code=f.customer).values_list("id", flat=True).first()
        if cid is None:
            return None
        qs = qs.filter(customer_id=cid)
    if f.category:
        qs = qs.filter(category_id__in=live.category_ids(f.category))
    if f.product_family:
        qs = qs.filter(product_family=f.product_family)
    if f.site:
        sid = Site.objects.filter(code=f.site).values_list("id", flat=True).first()
        if sid is None:
            return None
        qs = qs.filter(site_id=sid)
    return qs


# A page reads every figure against one state (reading.one_reading).
one_reading = reading.one_reading


def state_row() -> tuple[Any, ...] | None:
    """(complete_until, partial_day, partial_at) of the rollup state, or None before the first run;
    read once per :func:`one_reading`."""
    return reading.remembered(
        "rollup_state",
        lambda: (
            RollupState.objects.filter(pk=1)
            .values_list("complete_until", "partial_day", "partial_at")
            .first()
        ),
    )


def usable_until(user: Any) -> dt.date | None:
    """The first day not rolled up, when the rollups may answer for ``user``: they are keyed by
    customer, so they serve only roles that see every complaint (a salesperson's scope also holds
    complaints they created or own, which no key expresses — they are few, and counted live)."""
    if not user.has_perm("complaints.view_all_complaints"):
        return None
    row = state_row()
    if row is None:
        return None
    complete, partial_day, partial_at = row
    if complete is None:
        return None
    # Today as the worker rolled it up within the last minutes (as fresh as its snapshots of now).
    if partial_day == complete and partial_at and partial_at >= clock.now() - totals.SNAPSHOT_MAX_AGE:
        return complete + dt.timedelta(days=1)
    return complete


def slice_for(user: Any, f: DashFilters) -> tuple[str, dt.date] | None:
    """(the slice that answers ``f``, the first day not rolled up) when the sliced tables may answer for
    ``user`` (see :func:`usable_until`) and ``f`` has at most one filter; None otherwise."""
    s = slices.of_filters(f)
    if s is None:
        return None
    until = usable_until(user)
    return None if until is None else (s, until)


def daily_series_from_rollups(
    *, user: Any, f: DashFilters
) -> tuple[dt.date, dict[dt.date, list[int]]] | None:
    """Per rolled-up day of ``f``'s range: ``[received, closed, deadlines due, met on time]``, in two
    grouped queries (the trend's twelve periods share them). Returns ``(first day not rolled up,
    series)``, or None when the rollups may not answer for ``user``."""
    until = usable_until(user)
    if until is None:
        return None
    series: dict[dt.date, list[int]] = {}
    last = min(f.date_to, until - dt.timedelta(days=1))
    s = slices.of_filters(f)
    if s is not None:
        return until, totals_reads.series(s, f.date_from, last) if last >= f.date_from else series
    qs, dqs = _rollup_qs(DailyRollup, f), _rollup_qs(DeadlineRollup, f)
    if last < f.date_from or qs is None or dqs is None:
        return until, series
    for r in (
        qs.filter(day__gte=f.date_from, day__lte=last)
        .values("day")
        .annotate(received=Sum("received"), closed=Sum("closed"))
        .order_by()
    ):
        series.setdefault(r["day"], [0, 0, 0, 0])[:2] = [r["received"] or 0, r["closed"] or 0]
    for r in (
        dqs.filter(day__gte=f.date_from, day__lte=last)
        .values("day")
        .annotate(due=Sum("due"), met=Sum("met"))
        .order_by()
    ):
        series.setdefault(r["day"], [0, 0, 0, 0])[2:] = [r["due"] or 0, r["met"] or 0]
    return until, series


def counts_from_rollups(*, user: Any, f: DashFilters, now: dt.datetime) -> live.Counts | None:
    """``f``'s additive figures: rolled-up days summed, and the days not rolled up (today) live."""
    until = usable_until(user)
    if until is None:
        return None
    last = min(f.date_to, until - dt.timedelta(days=1))
    c = live.Counts(deadlines={})
    s = slices.of_filters(f)
    if last >= f.date_from and s is not None:
        c = totals_reads.counts_sum(s, f.date_from, last)
    elif last >= f.date_from:
        qs = _rollup_qs(DailyRollup, f)
        dqs = _rollup_qs(DeadlineRollup, f)
        if qs is not None and dqs is not None:
            sums = qs.filter(day__gte=f.date_from, day__lte=last).aggregate(
                **{n: Sum(n) for n in totals.ADDITIVE}
            )
            for name, value in sums.items():
                setattr(c, name, value or (Decimal(0) if name == "copq" else 0))
            for r in (
                dqs.filter(day__gte=f.date_from, day__lte=last)
                .values("target")
                .annotate(due=Sum("due"), met=Sum("met"))
                .order_by()
            ):
                c.deadlines[r["target"]] = [r["due"], r["met"]]  # type: ignore[index]
    if f.date_to >= until:
        tail_from = max(f.date_from, until)
        tail = f.dated(tail_from, f.date_to)
        start, end = tail.bounds()
        t = live.counts_live(
            live.scope_qs(user=user, f=f), start, end, now, live.scope_related(user=user, f=f)
        )
        for name in totals.ADDITIVE:
            setattr(c, name, getattr(c, name) + getattr(t, name))
        for target, (due, met) in (t.deadlines or {}).items():
            slot = c.deadlines.setdefault(target, [0, 0])  # type: ignore[union-attr]
            slot[0] += due
            slot[1] += met
    c.copq = Decimal(c.copq).quantize(Decimal("0.01"))
    return c


def open_from_rollups(*, user: Any, f: DashFilters, now: dt.datetime) -> int | None:
    """Open at the period's end = valid complaints received before it − complaints closed before it
    (a closed complaint is valid and was received before it closed), summed over rolled-up days and
    counted live after them."""
    until = usable_until(user)
    if until is None:
        return None
    end_day = f.date_to + dt.timedelta(days=1)
    cut = min(end_day, until)
    s = slices.of_filters(f)
    if s is not None:
        total = totals_reads.open_before(s, cut)
    else:
        qs = _rollup_qs(DailyRollup, f)
        if qs is None:
            return 0
        sums = qs.filter(day__lt=cut).aggregate(r=Sum("received"), c=Sum("closed"))
        total = (sums["r"] or 0) - (sums["c"] or 0)
    if end_day > until:
        start, _e = day_bounds(until)
        _s, end = f.bounds()
        cq = live.scope_qs(user=user, f=f)
        total += live.valid(cq).filter(received_at__gte=start, received_at__lt=end).count()
        total -= cq.filter(status=Status.CLOSED, closed_at__gte=start, closed_at__lt=end).count()
    return total
