"""Deadline figures moved by a difference instead of a day's recompute.

Most changes to a complaint that reach its finished days move only deadlines there: a triage plans
deadlines already past due for a complaint received days before, the start of handling or a resolution
meets one late or in time, a paused clock takes one out of the count. Recomputing a whole day for it
reads every complaint of that day (at ten million complaints, seconds a day). What a complaint's
deadlines add to a day is known instead (footprints.footprints_of keeps it), so the refresh adds the
difference to that day's ``DeadlineRollup`` rows and to its ``DayTotal.deadlines`` of every slice the
complaint's key falls in: a few rows a change, whatever the data's size.

The result is exactly what a recompute writes (tests/test_rollup_refresh_random.py compares the two
after every kind of deadline change): a row whose count falls to zero is deleted, and a slice's total
left with no figure and no deadline is deleted when no keyed row of that day falls in the slice any
more. Where the stored rows cannot take the difference (a count would fall below zero, or the day was
never rolled up), the day is handed back to be recomputed whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db.models import Q

from closeloop.dashboards import slices, totals
from closeloop.dashboards.footprints import DeadlineDelta
from closeloop.dashboards.models import DailyRollup, DayTotal, DeadlineRollup

KEYS = slices.ROLLUP_KEYS


def deltas_apply(deltas: Mapping[dt.date, DeadlineDelta], parents: Mapping[int, int | None]) -> set[dt.date]:
    """Add each day's difference to its deadline rollups and slice totals. Returns the days it could not
    apply, to be recomputed whole (what it wrote for them is then replaced). Call it inside the
    refresh's transaction, before the whole days are recomputed."""
    failed: set[dt.date] = set()
    for day, delta in sorted(deltas.items()):
        if not _day_apply(day, delta, parents):
            failed.add(day)
    return failed


def _day_apply(day: dt.date, delta: DeadlineDelta, parents: Mapping[int, int | None]) -> bool:
    moving = {k: v for k, v in delta.items() if v != [0, 0]}
    if not moving:
        return True
    by_slice: dict[str, dict[str, list[int]]] = {}
    for (key, target), (due, met) in moving.items():
        customer_id, category_id, family, _severity, site_id = key
        for s in slices.member_slices((customer_id, category_id, family, site_id), parents):
            pair = by_slice.setdefault(s, {}).setdefault(target, [0, 0])
            pair[0] += due
            pair[1] += met
    day_totals = {t.slice: t for t in DayTotal.objects.filter(day=day, slice__in=list(by_slice))}
    if slices.ALL not in day_totals:
        return False  # never rolled up: a recompute writes the day from nothing
    if not _keyed_apply(day, moving):
        return False
    return _totals_apply(day, by_slice, day_totals, parents)


def _keyed_apply(day: dt.date, moving: DeadlineDelta) -> bool:
    customers = {key[0] for key, _target in moving}
    rows = {
        (*(getattr(r, k) for k in KEYS), r.target): r
        for r in DeadlineRollup.objects.filter(day=day, customer_id__in=customers)
    }
    created: list[DeadlineRollup] = []
    changed: list[DeadlineRollup] = []
    emptied: list[DeadlineRollup] = []
    for (key, target), (due, met) in moving.items():
        row = rows.get((*key, target))
        if row is None:
            row = DeadlineRollup(day=day, target=target, **dict(zip(KEYS, key, strict=True)))
            created.append(row)
        else:
            (emptied if row.due + due == 0 else changed).append(row)
        row.due += due
        row.met += met
        if row.due < 0 or not 0 <= row.met <= row.due:
            return False
    DeadlineRollup.objects.bulk_create(created)
    DeadlineRollup.objects.bulk_update(changed, ["due", "met"])
    DeadlineRollup.objects.filter(pk__in=[r.pk for r in emptied]).delete()
    return True


def _totals_apply(
    day: dt.date,
    by_slice: dict[str, dict[str, list[int]]],
    day_totals: dict[str, DayTotal],
    parents: Mapping[int, int | None],
) -> bool:
    created: list[DayTotal] = []
    changed: list[DayTotal] = []
    emptied: list[DayTotal] = []
    for s, targets in by_slice.items():
        total = day_totals.get(s)
        if total is None:
            total = DayTotal(slice=s, day=day, deadlines={}, copq=Decimal(0))
            created.append(total)
        else:
            changed.append(total)
        for target, (due, met) in targets.items():
            have = total.deadlines.get(target, [0, 0])
            pair = [have[0] + due, have[1] + met]
            if pair[0] < 0 or not 0 <= pair[1] <= pair[0]:
                return False
            if pair[0]:
                total.deadlines[target] = pair
            else:
                total.deadlines.pop(target, None)
        if total in changed and s != slices.ALL and _empty(total) and not _keyed_rows_in(day, s, parents):
            changed.remove(total)
            emptied.append(total)
    DayTotal.objects.bulk_create([t for t in created if t.deadlines])
    DayTotal.objects.bulk_update(changed, ["deadlines"])
    DayTotal.objects.filter(pk__in=[t.pk for t in emptied]).delete()
    return True


def _empty(total: DayTotal) -> bool:
    return not total.deadlines and not any(getattr(total, name) for name in totals.ADDITIVE)


def _keyed_rows_in(day: dt.date, s: str, parents: Mapping[int, int | None]) -> bool:
    """Whether a keyed rollup row of ``day`` falls in slice ``s``: a recompute writes the slice's total
    (with zeros) exactly then."""
    kind, _sep, value = s.partition(":")
    if kind == "customer":
        q = Q(customer_id=int(value))
    elif kind == "category":
        pk = int(value)
        q = Q(category_id__in=[pk, *(c for c, parent in parents.items() if parent == pk)])
    elif kind == "family":
        q = Q(product_family=value)
    else:
        q = Q(site_id=int(value))
    day_rows: Any = (DailyRollup, DeadlineRollup)
    return any(model.objects.filter(q, day=day).exists() for model in day_rows)
