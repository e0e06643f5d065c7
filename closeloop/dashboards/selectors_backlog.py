"""The cockpit's reads about the open backlog: its age by step, owner or department, and the customers
at risk. Scoped and filtered as selectors.py's reads; without filters or with one they read the worker's
snapshots of now (totals.NowSnapshot) and the slice's marginals."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from closeloop.complaints.listing import overdue_q
from closeloop.complaints.models import Severity
from closeloop.complaints.workflow import OPEN_STATUSES, HandlingPath, Status
from closeloop.core import clock
from closeloop.customers.models import Customer
from closeloop.dashboards import live, rollup_reads, totals_reads
from closeloop.dashboards.kpi import AGE_BUCKETS, AGEING_BY, AgeingRow, DashFilters, RiskRow, site_tz
from closeloop.dashboards.selectors import OPEN_LIST, VALID_STATUSES, choice_check


def _step_key(c: Any) -> str:
    if c["status"] == Status.IN_PROGRESS:
        if c["handling_path"] == HandlingPath.EIGHT_D and c["investigation__current_step"] is not None:
            return f"D{c['investigation__current_step']}"
        return "quick"
    return str(c["status"])


def age_counts(today: dt.date, tz: Any) -> dict[str, Count]:
    """One conditional count per ageing bucket (see ``kpi.age_bucket``), on ``received_at`` against the
    starts of local days: a complaint received on local day D is ``(today - D).days`` days old."""

    def day_start(days_ago: int) -> dt.datetime:
        return dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time.min, tzinfo=tz)

    d7, d30, d90 = day_start(7), day_start(30), day_start(90)
    return {
        "b0": Count("id", filter=Q(received_at__gte=d7)),
        "b8": Count("id", filter=Q(received_at__gte=d30, received_at__lt=d7)),
        "b31": Count("id", filter=Q(received_at__gte=d90, received_at__lt=d30)),
        "b90": Count("id", filter=Q(received_at__lt=d90)),
    }


_AGE_KEYS = dict(zip(("b0", "b8", "b31", "b90"), AGE_BUCKETS, strict=True))
AGEING_FIELDS = {
    "step": ("status", "handling_path", "investigation__current_step"),
    "owner": ("owner__username", "owner__display_name"),
    "department": ("department__code", "department__name"),
}


def ageing_rows(qs: Any, by: str, today: dt.date) -> list[dict[str, Any]]:
    """The open complaints of ``qs`` grouped by ``by``'s fields with one count per age bucket
    (``b0``…``b90``): one grouped query (the worker's snapshots hold the same rows, totals.py)."""
    tz = site_tz()
    return list(
        qs.filter(status__in=list(OPEN_STATUSES))
        .values(*AGEING_FIELDS[by])
        .annotate(**age_counts(today, tz))
        .order_by()
    )


def backlog_ageing_get(*, user: Any, f: DashFilters, by: str) -> list[AgeingRow]:
    """The open backlog *now* (dates of ``f`` are ignored; its other filters apply) by ``step`` (the
    status, or for complaints in progress the 8D step ``D0``…``D8`` or ``quick``), ``owner`` or
    ``department``, in buckets of whole days since receipt (site time zone). Without filters it reads
    the worker's snapshot (totals.NowSnapshot, at most a few minutes old) without filters or with one;
    otherwise one grouped query.
    Raises ValidationFailed("by")."""

    choice_check("by", by, AGEING_BY)
    now = clock.now()
    today = now.astimezone(site_tz()).date()
    snapshot = None
    s = rollup_reads.slice_for(user, f)
    if s is not None:
        snapshot = totals_reads.snapshot_get(f"ageing:{by}", s[0], now)
    if snapshot is not None:
        rows = snapshot.get("rows", [])
    else:
        rows = ageing_rows(live.scope_qs(user=user, f=f), by, today)
    groups: dict[str, dict[str, Any]] = {}
    base = {**f.drill_base(), "status": OPEN_LIST}
    for r in rows:
        if by == "step":
            key = _step_key(r)
            label = key if key.startswith("D") or key == "quick" else str(Status(key).label)
            if key.startswith("D") or key == "quick":
                drill = {**base, "status": Status.IN_PROGRESS.value, "step": key}
            else:
                drill = {**base, "status": key}
        elif by == "owner":
            key = r["owner__username"] or "none"
            label = r["owner__display_name"] or r["owner__username"] or _("Unassigned")
            drill = {**base, "owner": key}
        else:
            key = r["department__code"] or ""
            label = r["department__name"] or _("No department")
            drill = {**base, "department": key} if key else {}
        g = groups.setdefault(
            key, {"label": str(label), "buckets": dict.fromkeys(AGE_BUCKETS, 0), "drill": drill}
        )
        for field, bucket in _AGE_KEYS.items():
            g["buckets"][bucket] += r[field]
    out = [
        AgeingRow(
            key=k, label=g["label"], buckets=g["buckets"], total=sum(g["buckets"].values()), drill=g["drill"]
        )
        for k, g in groups.items()
    ]
    return sorted(out, key=lambda r: (-r.total, r.key))


def overdue_serious(qs: Any, now: dt.datetime) -> dict[str, int]:
    """customer code -> serious complaints of ``qs`` overdue at ``now`` (the list's overdue view)."""
    return dict(
        live.valid(qs)
        .filter(overdue_q(now), severity=Severity.SERIOUS)
        .values_list("customer__code")
        .annotate(n=Count("id"))
        .order_by()
    )


def _risk_counts(
    *, user: Any, f: DashFilters, now: dt.datetime
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Per customer: valid complaints received in ``f``'s period (``recent``) and the previous one, with
    names; and overdue serious complaints now. The slice's marginals and the worker's snapshot without
    filters or with one; grouped queries otherwise."""

    sliced = rollup_reads.slice_for(user, f)
    if sliced is not None:
        s, until = sliced
        cq = live.scope_qs(user=user, f=f)
        recent = totals_reads.period_marginals(s, "customer", f, until, cq)
        previous = totals_reads.period_marginals(s, "customer", f.previous(), until, cq)
        names = dict(Customer.objects.filter(code__in=[*recent, *previous]).values_list("code", "name"))
        rows: list[dict[str, Any]] = [
            {
                "customer__code": code,
                "customer__name": names.get(code, ""),
                "recent": recent.get(code, 0),
                "previous": previous.get(code, 0),
            }
            for code in {*recent, *previous}
        ]
        snapshot = totals_reads.snapshot_get("overdue_serious", s, now)
        overdue = snapshot.get("counts", {}) if snapshot is not None else overdue_serious(cq, now)
        return rows, overdue
    start, end = f.bounds()
    pstart, _pend = f.previous().bounds()
    qs = live.valid(live.scope_qs(user=user, f=f))
    rows = [
        dict(r)
        for r in qs.filter(received_at__gte=pstart, received_at__lt=end)
        .values("customer__code", "customer__name")
        .annotate(
            recent=Count("id", filter=Q(received_at__gte=start)),
            previous=Count("id", filter=Q(received_at__lt=start)),
        )
    ]
    return rows, overdue_serious(qs, now)


def customers_at_risk_get(*, user: Any, f: DashFilters, limit: int = 10) -> list[RiskRow]:
    """Customers whose valid complaints grew against the previous period or who have serious open
    complaints overdue now, worst first (overdue serious, then growth, then recent count)."""
    rows, overdue = _risk_counts(user=user, f=f, now=clock.now())
    names = {r["customer__code"]: r for r in rows}
    missing = overdue.keys() - names.keys()
    for code, name in Customer.objects.filter(code__in=missing).values_list("code", "name"):
        names[code] = {"customer__code": code, "customer__name": name, "recent": 0, "previous": 0}
    out = [
        RiskRow(
            customer=code,
            name=r["customer__name"] or "",
            recent=r["recent"],
            previous=r["previous"],
            overdue_serious=overdue.get(code, 0),
            drill={
                **f.drill_base(),
                "customer": code,
                "status": VALID_STATUSES,
                "received_from": f.date_from.isoformat(),
                "received_to": f.date_to.isoformat(),
            },
        )
        for code, r in names.items()
        if r["recent"] > r["previous"] or overdue.get(code, 0)
    ]
    out.sort(key=lambda r: (-r.overdue_serious, -(r.recent - r.previous), -r.recent, r.customer))
    return out[:limit]
