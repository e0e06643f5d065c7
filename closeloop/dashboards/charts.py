"""The cockpit's presentation: KPI cards and chart specs built from the selectors' rows.

Everything here is pure (no queries besides the two small label look-ups named below) and runs in
the request's language, so a language switch relabels every chart: the labels are rendered on the
server and handed to ECharts as data. Each chart spec carries its table (the same numbers, for the
table view and the XLSX export) and, for every figure, the complaint-list URL behind it.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from closeloop.dashboards.kpi import (
    AGE_BUCKETS,
    KPI_DEFINITIONS,
    AgeingRow,
    DashFilters,
    Kpi,
    ParetoRow,
    RiskRow,
    TrendPoint,
    drill_query,
    kpi_status,
)
from closeloop.dashboards.targets import TargetValue

LIST_URL = "/complaints/"

# A calm, colour-blind-aware palette (Okabe-Ito based). A category keeps its colour on every chart:
# the colour is chosen from its key, not from its rank.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#6B7280")
BUCKET_COLOURS = {"0-7": "#9CC5E8", "8-30": "#4A90C8", "31-90": "#E69F00", "90+": "#C0392B"}
SERIES_COLOURS = {
    "received": "#0072B2",
    "closed": "#009E73",
    "timely_rate": "#E69F00",
    "cumulative": "#6B7280",
}

PRESETS = ("this_month", "last_month", "last_30", "last_90", "this_year", "custom")


def preset_labels() -> dict[str, str]:
    return {
        "this_month": _("This month"),
        "last_month": _("Last month"),
        "last_30": _("Last 30 days"),
        "last_90": _("Last 90 days"),
        "this_year": _("This year"),
        "custom": _("Custom"),
    }


def preset_range(preset: str, today: dt.date) -> tuple[dt.date, dt.date] | None:
    """The (from, to) of a period preset; None for ``custom`` (the user's own dates)."""
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        last = today.replace(day=1) - dt.timedelta(days=1)
        return last.replace(day=1), last
    if preset == "last_30":
        return today - dt.timedelta(days=29), today
    if preset == "last_90":
        return today - dt.timedelta(days=89), today
    if preset == "this_year":
        return today.replace(month=1, day=1), today
    return None


def colour_for(key: str) -> str:
    """The same colour for the same key on every chart and every page load."""
    return PALETTE[zlib.crc32(key.encode()) % len(PALETTE)]


def drill_url(drill: Mapping[str, str]) -> str:
    """The complaint list behind a figure; "" when the list cannot show exactly those complaints."""
    return f"{LIST_URL}?{drill_query(drill)}" if drill else ""


def unit_label(unit: str) -> str:
    return {
        "count": _("complaints"),
        "rate": "%",
        "hours": _("hours"),
        "days": _("days"),
        "score": _("of 5"),
        "cny": _("CNY"),
    }.get(unit, unit)


def format_value(value: float | int | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "rate":
        return f"{value * 100:.1f}"
    if unit == "cny":
        return f"{value:,.0f}"
    if unit == "count":
        return f"{int(value)}"
    return f"{value:.1f}"


def status_label(status: str) -> str:
    return {
        "green": _("On target"),
        "amber": _("Near target"),
        "red": _("Off target"),
        "": _("No target"),
    }[status]


@dataclass(frozen=True)
class KpiCard:
    code: str
    label: str
    definition: str
    value: str
    unit: str
    previous: str
    trend: str  # up / down / flat / "" (no previous value)
    trend_good: bool | None  # whether the movement is an improvement (None: flat or unknown)
    target: str
    status: str
    status_label: str
    url: str


def kpi_cards(kpis: Mapping[str, Kpi], targets: Mapping[str, TargetValue]) -> list[KpiCard]:
    cards = []
    for code, k in kpis.items():
        d = KPI_DEFINITIONS[code]
        target = targets.get(code)
        trend, good = "", None
        if k.value is not None and k.previous is not None:
            if k.value > k.previous:
                trend, good = "up", d.higher_is_better
            elif k.value < k.previous:
                trend, good = "down", not d.higher_is_better
            else:
                trend = "flat"
        status = kpi_status(k, target)
        cards.append(
            KpiCard(
                code=code,
                label=str(d.label),
                definition=str(d.definition),
                value=format_value(k.value, k.unit),
                unit=unit_label(k.unit),
                previous=format_value(k.previous, k.unit),
                trend=trend,
                trend_good=good,
                target=format_value(target.target_value, k.unit)
                if target and target.target_value is not None
                else "",
                status=status,
                status_label=status_label(status),
                url=drill_url(k.drill),
            )
        )
    return cards


def pareto_dimension_labels() -> dict[str, str]:
    return {
        "category": _("Category"),
        "product": _("Product"),
        "customer": _("Customer"),
        "root_cause": _("Root cause (5M1E)"),
    }


def pareto_chart(
    dimension: str, rows: list[ParetoRow], labels: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Bars (count) with the cumulative share as a line. ``labels`` overrides the selector's labels by
    key, for dimensions whose names have a translation (categories, fishbone bones)."""
    labels = labels or {}
    names = [labels.get(r.key, r.label) for r in rows]
    urls = [drill_url(r.drill) for r in rows]
    count_h, share_h, cum_h = _("Complaints"), _("Share %"), _("Cumulative %")
    return {
        "kind": "pareto",
        "id": f"pareto-{dimension}",
        "title": str(pareto_dimension_labels()[dimension]),
        "categories": names,
        "series": [
            {
                "name": str(count_h),
                "type": "bar",
                "data": [
                    {"value": r.count, "url": url, "color": colour_for(r.key)}
                    for r, url in zip(rows, urls, strict=True)
                ],
            },
            {
                "name": str(cum_h),
                "type": "line",
                "yAxisIndex": 1,
                "color": SERIES_COLOURS["cumulative"],
                "data": [round(r.cumulative_share * 100, 1) for r in rows],
            },
        ],
        "percentAxis": True,
        "table": {
            "headers": [pareto_dimension_labels()[dimension], count_h, share_h, cum_h],
            "rows": [
                [
                    {"text": name, "url": ""},
                    {"value": r.count, "url": url},
                    {"value": round(r.share * 100, 1), "url": ""},
                    {"value": round(r.cumulative_share * 100, 1), "url": ""},
                ]
                for name, r, url in zip(names, rows, urls, strict=True)
            ],
        },
    }


def trend_chart(grain: str, points: list[TrendPoint]) -> dict[str, Any]:
    received_h, closed_h, rate_h = _("Complaints received"), _("Closed"), _("On-time rate %")
    period_h = _("Week") if grain == "week" else _("Month")
    return {
        "kind": "trend",
        "id": "trend",
        "title": str(_("Weekly trend") if grain == "week" else _("Monthly trend")),
        "categories": [p.label for p in points],
        "series": [
            {
                "name": str(received_h),
                "type": "bar",
                "color": SERIES_COLOURS["received"],
                "data": [{"value": p.received, "url": ""} for p in points],
            },
            {
                "name": str(closed_h),
                "type": "bar",
                "color": SERIES_COLOURS["closed"],
                "data": [{"value": p.closed, "url": ""} for p in points],
            },
            {
                "name": str(rate_h),
                "type": "line",
                "yAxisIndex": 1,
                "color": SERIES_COLOURS["timely_rate"],
                "data": [None if p.timely_rate is None else round(p.timely_rate * 100, 1) for p in points],
            },
        ],
        "percentAxis": True,
        "table": {
            "headers": [period_h, received_h, closed_h, rate_h],
            "rows": [
                [
                    {"text": p.label, "url": ""},
                    {"value": p.received, "url": ""},
                    {"value": p.closed, "url": ""},
                    {"value": None if p.timely_rate is None else round(p.timely_rate * 100, 1), "url": ""},
                ]
                for p in points
            ],
        },
    }


def ageing_by_labels() -> dict[str, str]:
    return {"step": _("8D step"), "owner": _("Owner"), "department": _("Department")}


def bucket_label(bucket: str) -> str:
    return {
        "0-7": pgettext("age", "0–7 days"),
        "8-30": pgettext("age", "8–30 days"),
        "31-90": pgettext("age", "31–90 days"),
        "90+": pgettext("age", "over 90 days"),
    }[bucket]


def ageing_chart(
    by: str, rows: list[AgeingRow], f: DashFilters, today: dt.date, labels: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Stacked bars: one per group, one stack per age bucket. A segment links to its group's open
    complaints received within the bucket's days (received_from/received_to on the list)."""
    labels = labels or {}
    names = [labels.get(r.key, r.label) for r in rows]

    dates = {b: _bucket_dates(b, today) for b in AGE_BUCKETS}

    def links(r: AgeingRow) -> dict[str | None, str]:
        """The row's links per bucket (None: the whole row); each appears on the bar and in the table."""
        if not r.drill:
            return dict.fromkeys((*AGE_BUCKETS, None), "")
        return {None: drill_url(r.drill)} | {b: drill_url({**r.drill, **dates[b]}) for b in AGE_BUCKETS}

    urls = [links(r) for r in rows]

    return {
        "kind": "ageing",
        "id": "ageing",
        "title": str(ageing_by_labels()[by]),
        "categories": names,
        "stacked": True,
        "series": [
            {
                "name": bucket_label(b),
                "type": "bar",
                "color": BUCKET_COLOURS[b],
                "data": [
                    {"value": r.buckets.get(b, 0), "url": u[b]} for r, u in zip(rows, urls, strict=True)
                ],
            }
            for b in AGE_BUCKETS
        ],
        "table": {
            "headers": [ageing_by_labels()[by], *[bucket_label(b) for b in AGE_BUCKETS], _("Total")],
            "rows": [
                [
                    {"text": name, "url": ""},
                    *[{"value": r.buckets.get(b, 0), "url": u[b]} for b in AGE_BUCKETS],
                    {"value": r.total, "url": u[None]},
                ]
                for name, r, u in zip(names, rows, urls, strict=True)
            ],
        },
    }


def _bucket_dates(bucket: str, today: dt.date) -> dict[str, str]:
    """List parameters for "received between these days", matching kpi.age_bucket's whole days."""
    low, high = {"0-7": (0, 7), "8-30": (8, 30), "31-90": (31, 90), "90+": (91, None)}[bucket]
    out = {"received_to": (today - dt.timedelta(days=low)).isoformat()}
    if high is not None:
        out["received_from"] = (today - dt.timedelta(days=high)).isoformat()
    return out


def risk_table(rows: list[RiskRow], f: DashFilters) -> dict[str, Any]:
    return {
        "kind": "table",
        "id": "risk",
        "title": str(_("Customers at risk")),
        "table": {
            "headers": [
                _("Customer"),
                _("Code"),
                _("This period"),
                _("Previous period"),
                _("Serious and overdue now"),
            ],
            "rows": [
                [
                    {"text": r.name, "url": drill_url(r.drill)},
                    {"text": r.customer, "url": ""},
                    {"value": r.recent, "url": drill_url(r.drill)},
                    {"value": r.previous, "url": ""},
                    {
                        "value": r.overdue_serious,
                        "url": drill_url(
                            {
                                **f.drill_base(),
                                "customer": r.customer,
                                "view": "overdue",
                                "severity": "serious",
                            }
                        )
                        if r.overdue_serious
                        else "",
                    },
                ]
                for r in rows
            ],
        },
    }
