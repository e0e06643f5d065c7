"""/api/v1/dashboard/*: the GM cockpit's figures, scoped like the complaint list (a salesperson counts
their own customers' complaints). Filters: ``from``, ``to`` (YYYY-MM-DD, inclusive; default the last 30
days), ``customer``, ``category``, ``site`` (codes) and ``product_family``; bad input is 422 naming the
field.
Rates are fractions 0–1. The counting rules are in closeloop/dashboards/kpi.py."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from ninja import Router

from closeloop.api.complaints import ERRORS
from closeloop.dashboards import freshness, rollup_reads, selectors, selectors_backlog
from closeloop.dashboards.kpi import KPI_DEFINITIONS, DashFilters, dashboard_filters_parse, kpi_status
from closeloop.dashboards.targets import kpi_targets_get

router = Router(tags=["dashboard"])


def _filters(request: HttpRequest) -> DashFilters:
    return dashboard_filters_parse(user=request.user, params=request.GET)


def _period(f: DashFilters) -> dict[str, str]:
    return {"from": f.date_from.isoformat(), "to": f.date_to.isoformat()}


@router.get("/dashboard/kpis", response={200: dict[str, Any], **ERRORS}, summary="Cockpit KPIs")
def dashboard_kpis(request: HttpRequest) -> dict[str, Any]:
    """Every KPI with value, numerator, denominator, previous (the period of equal length before),
    unit, target, status (green / amber / red / "") and drill (complaint-list parameters); and
    ``freshness``: ``state`` (current, behind, never or live: see dashboards.freshness) and ``as_of``,
    the instant in UTC the rolled-up figures stand at (None when counted live)."""
    f = _filters(request)
    targets = kpi_targets_get()
    with rollup_reads.one_reading():
        kpis = selectors.kpis_get(user=request.user, f=f)
        fresh = freshness.freshness_get(request.user)
    return {
        "period": _period(f),
        "freshness": fresh.as_json(),
        "kpis": {
            code: {
                **asdict(k),
                "label": str(KPI_DEFINITIONS[code].label),
                "target": targets[code].target_value,
                "status": kpi_status(k, targets[code]),
            }
            for code, k in kpis.items()
        },
    }


@router.get("/dashboard/pareto", response={200: dict[str, Any], **ERRORS}, summary="Pareto of complaints")
def dashboard_pareto(request: HttpRequest, dimension: str = "category") -> dict[str, Any]:
    """``dimension``: category, product, customer or root_cause."""
    f = _filters(request)
    rows = selectors.pareto_get(user=request.user, f=f, dimension=dimension)
    return {"period": _period(f), "dimension": dimension, "rows": [asdict(r) for r in rows]}


@router.get("/dashboard/trend", response={200: dict[str, Any], **ERRORS}, summary="Trend")
def dashboard_trend(request: HttpRequest, grain: str = "month") -> dict[str, Any]:
    """The 12 weeks or months (``grain``) ending with ``to``."""
    f = _filters(request)
    points = selectors.trend_get(user=request.user, f=f, grain=grain)
    return {"grain": grain, "points": [{**asdict(p), "start": p.start.isoformat()} for p in points]}


@router.get("/dashboard/ageing", response={200: dict[str, Any], **ERRORS}, summary="Backlog ageing")
def dashboard_ageing(request: HttpRequest, by: str = "step") -> dict[str, Any]:
    """The open backlog now by ``by`` (step, owner or department) in day buckets 0-7, 8-30, 31-90, 90+."""
    f = _filters(request)
    rows = selectors_backlog.backlog_ageing_get(user=request.user, f=f, by=by)
    return {"by": by, "rows": [asdict(r) for r in rows]}


@router.get("/dashboard/risk", response={200: dict[str, Any], **ERRORS}, summary="Customers at risk")
def dashboard_risk(request: HttpRequest) -> dict[str, Any]:
    """Customers with more complaints than in the previous period or serious complaints overdue now."""
    f = _filters(request)
    rows = selectors_backlog.customers_at_risk_get(user=request.user, f=f)
    return {"period": _period(f), "rows": [asdict(r) for r in rows]}
