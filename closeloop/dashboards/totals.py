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
(tests/test_totals_equal_live.py). They are read through ``totals_reads``; days not rolled up (today,
when the worker's partial roll-up of it is not fresh) are counted live by its callers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce

from closeloop.complaints.models import Complaint
from closeloop.dashboards import durations, live, slices
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
