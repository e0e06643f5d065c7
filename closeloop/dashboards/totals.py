"""Site-wide and one-filter rollups: what a cockpit *without filters*, or with one, reads, so its cost
does not grow with the data.

The keyed daily rollups (rollups.py) hold one row per day and (customer, category, product family,
severity, site); at a million complaints a year a day has hundreds of keys, and summing a year of them,
or grouping them for a Pareto, costs as much as reading the complaints. A cockpit without filters — the
general manager's usual view — or narrowed by one of them needs none of those keys, so the same job
also keeps, per slice (slices.py: the whole site, each customer, category, product family and site):

- ``DayTotal``: the day's keyed rows summed (counts, deadlines due and met, COPQ);
- ``DayMarginal``: valid complaints received on the day per category, product, customer, root cause;
- ``DurationBlock``: cycle-time and first-response histograms in blocks of days (blocks.py), so a
  percentile over any period sums a handful of rows (durations.py);
- ``NowSnapshot``: figures about *now* — the open backlog by step, owner and department with its age
  buckets, and overdue serious complaints per customer — recomputed on every run (about a minute).

Every table is written by the same job that writes the keyed rollups and equals the live computation
(tests/test_totals_equal_live.py). Days not rolled up (today, when the worker's partial roll-up of it is
not fresh) are counted live by the readers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from closeloop.complaints.models import Complaint
from closeloop.core import clock
from closeloop.dashboards import blocks, durations, live, reading, slices
from closeloop.dashboards.kpi import DashFilters
from closeloop.dashboards.models import DayMarginal, DayTotal, NowSnapshot

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


# --- maintenance, called by rollups.rollup_day_compute and rollups_refresh -----------------------


def _key_slices(key: tuple[Any, ...], parents: Mapping[int, int | None]) -> list[str]:
    """The slices of a keyed rollup row (slices.ROLLUP_KEYS: customer, category, family, severity,
    site)."""
    customer_id, category_id, family, _severity, site_id = key
    return slices.member_slices((customer_id, category_id, family, site_id), parents)


def day_total_store(
    day: dt.date,
    rows: Mapping[tuple[Any, ...], Mapping[str, Any]],
    deadline_rows: list[dict[str, Any]],
    parents: Mapping[int, int | None],
) -> None:
    """Replace ``day``'s totals, one per slice, with the sums of its keyed figures and deadline rows
    (``rows``: rollups.KEYS -> figures; ``deadline_rows``: k_* keys, ``target``, ``n_due``, ``n_met``).
    The whole site always gets a row, even on a day without complaints."""
    totals: dict[str, dict[str, Any]] = {}
    deadlines: dict[str, dict[str, list[int]]] = {}

    def total(s: str) -> dict[str, Any]:
        if s not in totals:
            totals[s] = dict.fromkeys(ADDITIVE, 0)
            totals[s]["copq"] = Decimal(0)
        return totals[s]

    total(slices.ALL)
    for key, figures in rows.items():
        for s in _key_slices(key, parents):
            slot = total(s)
            for name, value in figures.items():
                slot[name] += value or 0
    for r in deadline_rows:
        key = tuple(
            r[f"k_{k}"] for k in ("customer_id", "category_id", "product_family", "severity", "site_id")
        )
        for s in _key_slices(key, parents):
            total(s)
            pair = deadlines.setdefault(s, {}).setdefault(r["target"], [0, 0])
            pair[0] += r["n_due"]
            pair[1] += r["n_met"]
    DayTotal.objects.filter(day=day).delete()
    DayTotal.objects.bulk_create(
        DayTotal(slice=s, day=day, deadlines=deadlines.get(s, {}), **figures) for s, figures in totals.items()
    )


def marginal_query(
    dimension: str, start: dt.datetime, end: dt.datetime, cq: QuerySet[Complaint], by_slice: bool = False
) -> QuerySet[Any]:
    """Valid complaints of ``cq`` received in ``[start, end)`` grouped by ``dimension`` as rows of
    ``key`` and ``n`` (the Pareto's grouping: a subcategory counts with its top-level category), and by
    the slice fields (slices.FIELDS) too when ``by_slice``."""
    qs = live.valid(cq).filter(received_at__gte=start, received_at__lt=end)
    extra = slices.fields() if by_slice else []
    if dimension == "category":
        rows = qs.values(*extra, key=Coalesce("category__parent__code", "category__code"))
    elif dimension == "product":
        rows = qs.values(*extra, key=F("product__code"))
    elif dimension == "customer":
        rows = qs.values(*extra, key=F("customer__code"))
    else:
        rows = (
            qs.exclude(investigation__root_cause_category="")
            .filter(investigation__isnull=False)
            .values(*extra, key=F("investigation__root_cause_category"))
        )
    return rows.annotate(n=Count("id")).order_by()


def day_marginals_store(
    day: dt.date, start: dt.datetime, end: dt.datetime, parents: Mapping[int, int | None]
) -> None:
    from closeloop.dashboards.kpi import PARETO_DIMENSIONS

    DayMarginal.objects.filter(day=day).delete()
    rows: list[DayMarginal] = []
    for dim in PARETO_DIMENSIONS:
        grouped = marginal_query(dim, start, end, Complaint.objects.all(), by_slice=True)
        for s, keyed in slices.fold(grouped, ["key"], slices.fields(), parents).items():
            rows.extend(
                DayMarginal(slice=s, day=day, dimension=dim, key=r["key"] or "", received=r["n"])
                for r in keyed.values()
            )
    DayMarginal.objects.bulk_create(rows, batch_size=1000)


def day_hists(
    start: dt.datetime, end: dt.datetime, parents: Mapping[int, int | None]
) -> dict[tuple[str, str], durations.Hist]:
    """(slice, kind) -> the histogram of the durations that ended in ``[start, end)``."""
    out: dict[tuple[str, str], durations.Hist] = {}
    everything = Complaint.objects.all()
    sources = (
        (durations.CYCLE, live.cycle_pairs(everything, start, end, slices.fields())),
        (durations.RESPONSE, live.response_pairs(everything, start, end, None, slices.fields("complaint__"))),
    )
    for kind, pairs in sources:
        for began, ended, *keys in pairs:
            b = durations.to_bin(kind, began, ended)
            for s in slices.member_slices(keys, parents):
                h = out.setdefault((s, kind), {})
                h[b] = h.get(b, 0) + 1
    return out


def snapshots_refresh(now: dt.datetime) -> None:
    """Recompute the figures about now for every slice (see the module docstring); slices with nothing
    to show have no row, and the ``run`` row says when this was done.

    One grouped read of the open complaints (by step, owner, department and the slice fields, with
    the age buckets and the overdue serious count) serves every view and every slice: at a million
    complaints the open backlog is a few hundred thousand rows, and reading it once per view took
    seconds each."""
    from closeloop.accounts.models import Department, User
    from closeloop.complaints.listing import overdue_q
    from closeloop.complaints.models import Severity
    from closeloop.complaints.workflow import OPEN_STATUSES
    from closeloop.customers.models import Customer
    from closeloop.dashboards import selectors_backlog

    today = now.astimezone(live_tz()).date()
    parents = slices.category_parents()
    step = list(selectors_backlog.AGEING_FIELDS["step"])
    groups = list(
        Complaint.objects.filter(status__in=list(OPEN_STATUSES))
        .values(*step, "owner_id", "department_id", *slices.fields())
        .annotate(
            **selectors_backlog.age_counts(today, live_tz()),
            # Severity first: PostgreSQL evaluates a FILTER as written, and the deadline probe is the cost.
            overdue=Count("id", filter=Q(severity=Severity.SERIOUS) & overdue_q(now)),
        )
        .order_by()
    )
    owners = {
        pk: (username, display_name)
        for pk, username, display_name in User.objects.filter(
            id__in={g["owner_id"] for g in groups}
        ).values_list("id", "username", "display_name")
    }
    departments = {
        d.pk: (d.code, d.name) for d in Department.objects.filter(id__in={g["department_id"] for g in groups})
    }
    customers = dict(
        Customer.objects.filter(id__in={g["customer_id"] for g in groups}).values_list("id", "code")
    )
    buckets = ("b0", "b8", "b31", "b90")
    ageing: dict[tuple[str, str], dict[tuple[Any, ...], dict[str, Any]]] = {}
    overdue: dict[str, dict[str, int]] = {}
    for g in groups:
        owner = g["owner_id"]
        dept = departments.get(g["department_id"], (None, None))
        keyed = {
            "step": {f: g[f] for f in step},
            "owner": dict(
                zip(("owner__username", "owner__display_name"), owners.get(owner, (None, None)), strict=True)
            ),
            "department": {"department__code": dept[0], "department__name": dept[1]},
        }
        for s in slices.member_slices([g[f] for f in slices.fields()], parents):
            for by, row in keyed.items():
                slot = ageing.setdefault((by, s), {}).setdefault(
                    tuple(row.values()), {**row, **dict.fromkeys(buckets, 0)}
                )
                for b in buckets:
                    slot[b] += g[b]
            if g["overdue"]:
                code = customers[g["customer_id"]]
                counts = overdue.setdefault(s, {})
                counts[code] = counts.get(code, 0) + g["overdue"]
    iso = today.isoformat()
    rows: dict[str, dict[str, Any]] = {
        f"ageing:{by}|{s}": {"today": iso, "rows": list(keyed_rows.values())}
        for (by, s), keyed_rows in ageing.items()
    }
    rows.update({f"overdue_serious|{s}": {"today": iso, "counts": counts} for s, counts in overdue.items()})
    rows["run"] = {"today": iso}
    NowSnapshot.objects.all().delete()
    NowSnapshot.objects.bulk_create(
        (NowSnapshot(name=name, data=data, computed_at=now) for name, data in rows.items()), batch_size=500
    )


def live_tz() -> Any:
    from closeloop.dashboards.kpi import site_tz

    return site_tz()


# --- reads ---------------------------------------------------------------------------------------


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
