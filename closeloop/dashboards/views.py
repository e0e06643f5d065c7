"""The GM cockpit: KPI cards and charts over the selectors, every figure linking to its complaint list.

Filters live in the URL (``period`` preset or ``from``/``to``, ``product_family``, ``customer``,
``category``; the chart switches ``grain`` and ``by``), so a view can be bookmarked and shared.
"""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View

from closeloop.accounts.models import Department, User
from closeloop.core import clock
from closeloop.core.errors import ValidationFailed
from closeloop.core.exports import neutralise
from closeloop.core.views import request_user
from closeloop.dashboards import charts, freshness, rollup_reads, selectors, selectors_backlog
from closeloop.dashboards.kpi import (
    AGEING_BY,
    PARETO_DIMENSIONS,
    TREND_GRAINS,
    DashFilters,
    dashboard_filters_parse,
    site_tz,
)
from closeloop.dashboards.targets import kpi_targets_get
from closeloop.intake.forms import category_choices

# Opening the cockpit is reading the KPI targets (the roles that have it: accounts.roles._COCKPIT).
COCKPIT_PERMISSION = "dashboards.view_kpitarget"
DEFAULT_PRESET = "last_30"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def cockpit_access(user: User) -> None:
    if not user.has_perm(COCKPIT_PERMISSION):
        raise PermissionDenied


def _today() -> dt.date:
    return clock.now().astimezone(site_tz()).date()


def _with_preset(params: QueryDict) -> tuple[QueryDict, str]:
    """The parameters with ``from``/``to`` set from the ``period`` preset (custom keeps the user's
    dates; no preset and no dates is the last 30 days)."""
    out = params.copy()
    preset = params.get("period") or ("custom" if params.get("from") or params.get("to") else DEFAULT_PRESET)
    if preset not in charts.PRESETS:
        preset = DEFAULT_PRESET
    rng = charts.preset_range(preset, _today())
    if rng is not None:
        out["from"], out["to"] = rng[0].isoformat(), rng[1].isoformat()
    return out, preset


def _filters(user: User, params: QueryDict) -> tuple[DashFilters, dict[str, str]]:
    """The cockpit filters and the errors to show next to their fields. With errors the page still
    renders, over the default period and without the rejected filters."""
    try:
        return dashboard_filters_parse(user=user, params=params), {}
    except ValidationFailed as exc:
        errors = {name: str(messages[0]) for name, messages in exc.fields.items()}
        kept = params.copy()
        for name in errors:
            kept.pop(name, None)
        if "from" in errors or "to" in errors:
            kept.pop("from", None)
            kept.pop("to", None)
        return dashboard_filters_parse(user=user, params=kept), errors


def _choice(params: QueryDict, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = params.get(name) or default
    return value if value in allowed else default


def _department_labels() -> dict[str, str]:
    return {d.code: str(d) for d in Department.objects.all()}


def chart_specs(*, user: User, f: DashFilters, grain: str, by: str) -> dict[str, Any]:
    """Every chart of the page, labelled in the active language."""

    def one(chart: str, dimension: str = "") -> dict[str, Any]:
        return _one_chart(user=user, f=f, chart=chart, grain=grain, by=by, dimension=dimension)

    return {
        "pareto": {d: one("pareto", d) for d in PARETO_DIMENSIONS},
        "trend": one("trend"),
        "ageing": one("ageing"),
        "risk": one("risk"),
    }


class CockpitView(LoginRequiredMixin, View):
    @rollup_reads.one_reading()
    def get(self, request: HttpRequest) -> HttpResponse:
        user = request_user(request)
        cockpit_access(user)
        params, preset = _with_preset(request.GET)
        f, errors = _filters(user, params)
        grain = _choice(request.GET, "grain", TREND_GRAINS, "month")
        by = _choice(request.GET, "by", AGEING_BY, "step")
        specs = chart_specs(user=user, f=f, grain=grain, by=by)
        query = _page_query(f, preset, grain, by)
        ctx = {
            "f": f,
            "preset": preset,
            "presets": charts.preset_labels(),
            "errors": errors,
            "raw": request.GET,
            "grain": grain,
            "by": by,
            "query": query,
            "freshness": freshness.freshness_get(user),
            "cards": charts.kpi_cards(selectors.kpis_get(user=user, f=f), kpi_targets_get()),
            "pareto": specs["pareto"],
            "trend": specs["trend"],
            "ageing": specs["ageing"],
            "risk": specs["risk"],
            "charts_json": {
                "pareto": list(specs["pareto"].values()),
                "trend": specs["trend"],
                "ageing": specs["ageing"],
            },
            "grain_links": [(g, label, _link(query, grain=g)) for g, label in _grain_labels().items()],
            "by_links": [(b, label, _link(query, by=b)) for b, label in charts.ageing_by_labels().items()],
            "categories": category_choices(),
            "families": _product_families(),
            "sites": _sites(),
        }
        return render(request, "dashboards/cockpit.html", ctx)


def _product_families() -> list[str]:
    """The product families to filter by (a short list of distinct values from the products)."""
    from closeloop.customers.models import Product

    return list(
        Product.objects.exclude(family="").values_list("family", flat=True).distinct().order_by("family")
    )


def _sites() -> list[tuple[str, str]]:
    """(code, name in the reader's language) of the active sites."""
    from closeloop.customers.models import Site

    return [(s.code, s.label) for s in Site.objects.filter(is_active=True).order_by("code")]


def _grain_labels() -> dict[str, str]:
    return {"week": _("Weekly"), "month": _("Monthly")}


def _page_query(f: DashFilters, preset: str, grain: str, by: str) -> QueryDict:
    q = QueryDict(mutable=True)
    q["period"] = preset
    if preset == "custom":
        q["from"], q["to"] = f.date_from.isoformat(), f.date_to.isoformat()
    for name in ("product_family", "customer", "category", "site"):
        if getattr(f, name):
            q[name] = getattr(f, name)
    q["grain"], q["by"] = grain, by
    return q


def _link(query: QueryDict, **override: str) -> str:
    q = query.copy()
    for k, v in override.items():
        q[k] = v
    return f"?{q.urlencode()}"


CHARTS = ("pareto", "trend", "ageing", "risk")


class CockpitExportView(LoginRequiredMixin, View):
    """One chart's table as XLSX: the numbers as numbers, text neutralised (customer names are typed
    by people, and a spreadsheet would run one starting with "=")."""

    def get(self, request: HttpRequest, chart: str) -> HttpResponse:
        from openpyxl import Workbook

        user = request_user(request)
        cockpit_access(user)
        if chart not in CHARTS:
            raise Http404
        params, _preset = _with_preset(request.GET)
        f, _errors = _filters(user, params)
        grain = _choice(request.GET, "grain", TREND_GRAINS, "month")
        by = _choice(request.GET, "by", AGEING_BY, "step")
        dimension = _choice(request.GET, "dimension", PARETO_DIMENSIONS, "category")
        spec = _one_chart(user=user, f=f, chart=chart, grain=grain, by=by, dimension=dimension)
        wb = Workbook()
        ws = wb.active
        assert ws is not None  # noqa: S101 - a new workbook always has a sheet
        ws.title = chart
        ws.append([neutralise(str(h)) for h in spec["table"]["headers"]])
        for row in spec["table"]["rows"]:
            ws.append([neutralise(cell["text"]) if "text" in cell else cell["value"] for cell in row])
        buf = BytesIO()
        wb.save(buf)
        name = f"cockpit-{chart}{'-' + dimension if chart == 'pareto' else ''}-{f.date_from}-{f.date_to}.xlsx"
        response = HttpResponse(buf.getvalue(), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


def _one_chart(
    *, user: User, f: DashFilters, chart: str, grain: str, by: str, dimension: str
) -> dict[str, Any]:
    if chart == "pareto":
        # The rows are labelled in the active language already (dashboards/labels.py).
        return charts.pareto_chart(dimension, selectors.pareto_get(user=user, f=f, dimension=dimension))
    if chart == "trend":
        return charts.trend_chart(grain, selectors.trend_get(user=user, f=f, grain=grain))
    if chart == "ageing":
        rows_a = selectors_backlog.backlog_ageing_get(user=user, f=f, by=by)
        return charts.ageing_chart(
            by, rows_a, f, _today(), _department_labels() if by == "department" else None
        )
    return charts.risk_table(selectors_backlog.customers_at_risk_get(user=user, f=f), f)
