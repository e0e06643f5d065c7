"""The summary of ``make bench``: each target of the GM-cockpit issue beside what this run measured,
whether it is met, and how far the app is from the raw limit of the same database on the same machine.

The targets are set for PostgreSQL with 1,000,000 complaints; a run on another database or size is
judged against them all the same, and the table says what it ran on.

For the API create and the imports the ratio also gives the rate as a share of its CPU bound: the
rate the machine's cores would allow for the CPU one request or row cost (the app's processes, the
PostgreSQL server's and the load's client, measured over the run). A rate near its bound is limited by
the CPU its work needs on this machine, not by waiting.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

TARGET_CONDITIONS = "PostgreSQL, 1,000,000 complaints"


@dataclass(frozen=True)
class Target:
    measure: str
    target: str
    # (report) -> (result text, met or None when not measured, ratio text)
    judge: Callable[[dict[str, Any]], tuple[str, bool | None, str]]


def _lat(
    case: str, p95_max: float, raw: str | None = None
) -> Callable[[dict[str, Any]], tuple[str, bool | None, str]]:
    def judge(report: dict[str, Any]) -> tuple[str, bool | None, str]:
        r = report.get("results", {}).get(case)
        if not r:
            return "not run", None, ""
        # The first-page floor is one of the in-process cases; the others are the raw part's.
        floor = (
            (report.get("raw", {}).get("reads", {}).get(raw) or report.get("results", {}).get(raw))
            if raw
            else None
        )
        ratio = _times_raw(r["p50_ms"], floor["p50_ms"]) if floor else "—"
        return f"p50 {r['p50_ms']} / p95 {r['p95_ms']} ms", r["p95_ms"] < p95_max, ratio

    return judge


def _times_raw(p50_ms: float, raw_p50_ms: float) -> str:
    """The page's p50 against the plain SQL's: "×32" when slower, "1/10 of" when faster (the cockpit
    reads rollups that plain SQL has to count from the tables), never a rounded "×0"."""
    ratio = p50_ms / raw_p50_ms
    share = f"×{ratio:,.0f}" if ratio >= 1 else f"1/{1 / ratio:,.0f} of"
    return f"{share} raw p50 ({raw_p50_ms} ms)"


def _slower(app_rate: float, raw_rate: float | None, what: str) -> str:
    if not raw_rate or not app_rate:
        return "—"
    return f"1/{raw_rate / app_rate:,.0f} of raw {what} ({raw_rate:,.0f}/s)"


def _of_cpu_bound(rate: float, budget: dict[str, Any] | None) -> str:
    """The rate as a share of what the cores allow for the CPU each unit cost (``cpu_per_unit``)."""
    bound = (budget or {}).get("cpu_bound_per_s")
    if not bound or not rate or not (budget or {}).get("database_cpu_counted"):
        return ""
    return f"{rate / bound:.0%} of the CPU bound ({bound:,.0f}/s)"


def _ratios(*texts: str) -> str:
    return "; ".join(t for t in texts if t and t != "—") or "—"


def _http(report: dict[str, Any]) -> tuple[str, bool | None, str]:
    h = report.get("http")
    if not h:
        return "not run", None, ""
    if "p95_ms" not in h:
        return f"{h.get('errors', '?')} errors, no successful request", False, "—"
    text = f"{h['req_per_s']:,} req/s; p50 {h['p50_ms']} / p95 {h['p95_ms']} / p99 {h['p99_ms']} ms"
    if h["errors"]:
        text += f"; {h['errors']} ERRORS"
    met = h["req_per_s"] >= 400 and h["p95_ms"] < 25 and not h["errors"]
    one = report.get("raw", {}).get("inserts", {}).get("one_row_per_transaction", {}).get("rows_per_s")
    ratio = _ratios(
        _slower(h["req_per_s"], one, "1-row commits"), _of_cpu_bound(h["req_per_s"], h.get("cpu_per_request"))
    )
    return text, met, ratio


def _import(fmt: str, minimum: float) -> Callable[[dict[str, Any]], tuple[str, bool | None, str]]:
    def judge(report: dict[str, Any]) -> tuple[str, bool | None, str]:
        r = report.get("imports", {}).get(fmt)
        if not r:
            return "not run", None, ""
        text = f"{r['rows_per_s']:,} rows/s ({r['rows']:,} rows, peak RSS +{r['peak_rss_delta_mb']} MB)"
        raw = report.get("raw", {})
        # Against the complaint table's own floor when measured (its indexes are most of an import's
        # database work), else the scratch table's bulk insert.
        table = raw.get("complaint_table_rows_per_s")
        if table:
            ratio = _slower(r["rows_per_s"], table, "insert into the complaint table")
        else:
            ratio = _slower(r["rows_per_s"], raw.get("bulk_rows_per_s"), "bulk insert")
        ratio = _ratios(ratio, _of_cpu_bound(r["rows_per_s"], r.get("cpu_per_row")))
        return text, r["rows_per_s"] >= minimum and r["ok"], ratio

    return judge


def _worker(report: dict[str, Any]) -> tuple[str, bool | None, str]:
    w = report.get("worker")
    if not w or w.get("peak_rss_mb") is None:
        return "not run", None, ""
    imported = w.get("imports") or []
    what = f"{w['tasks']} periodic jobs" + (
        f" and {len(imported)} imports of {imported[0]['rows']:,} rows" if imported else ""
    )
    return f"peak {w['peak_rss_mb']} MB after {what}", w["peak_rss_mb"] < 150, "—"


TARGETS = [
    Target("API create, HTTP, gunicorn", "≥ 400 req/s, p95 < 25 ms", _http),
    Target("list: first page", "p95 < 30 ms", _lat("list: first page", 30, "raw SQL: first list page")),
    Target(
        "list: status+severity filter",
        "p95 < 30 ms",
        _lat("list: status+severity filter", 30, "raw SQL: status+severity page"),
    ),
    Target("detail page", "p95 < 15 ms", _lat("detail page", 15, "raw SQL: complaint row")),
    Target(
        "detail page, triaged",
        "p95 < 15 ms",
        _lat("detail page, triaged", 15, "raw SQL: complaint row"),
    ),
    Target(
        "cockpit page (last 90 days)",
        "p95 < 100 ms",
        _lat("cockpit page (last 90 days)", 100, "raw SQL: cockpit counts, 90 days"),
    ),
    Target("search: 3+ chars (变速箱)", "p95 < 50 ms", _lat("search: 3+ chars (变速箱)", 50)),
    Target("search: 2-char word (漏油)", "p95 < 100 ms", _lat("search: 2-char word (漏油)", 100)),
    Target("import CSV", "≥ 5,000 rows/s", _import("csv", 5000)),
    Target("import XLSX", "≥ 3,000 rows/s", _import("xlsx", 3000)),
    Target("worker memory", "< 150 MB", _worker),
]


def summary_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per target: measure, result, target, met (True/False, None when not run), ratio."""
    rows = []
    for t in TARGETS:
        result, met, ratio = t.judge(report)
        rows.append({"measure": t.measure, "result": result, "target": t.target, "met": met, "ratio": ratio})
    return rows


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if "\u2e80" <= ch <= "\uffef" else 1 for ch in text)


def summary_table(rows: list[dict[str, Any]], *, database: str, size: int) -> str:
    """The rows as an aligned text table, with the run's conditions beside the targets'."""
    cells = [["measure", "result", "target", "met?", "ratio to raw limit"]]
    for r in rows:
        met = "—" if r["met"] is None else ("yes" if r["met"] else "NO")
        cells.append([r["measure"], r["result"], r["target"], met, r["ratio"]])
    widths = [max(_width(row[i]) for row in cells) for i in range(len(cells[0]))]
    lines = [f"targets for {TARGET_CONDITIONS}; this run: {database}, {size:,} complaints"]
    for n, row in enumerate(cells):
        lines.append("  ".join(c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
