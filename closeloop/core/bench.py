"""``make bench``: measured timings of the paths users wait on, beside the raw database limit.

Timings are measured here, printed, summarised against the GM-cockpit targets (``bench_table``) and
written to var/bench/results.json; tests never assert them. The parts, selectable with ``only`` and
``skip`` (``manage.py bench --only http,import``):

- ``pages``: requests through Django's full stack in-process (middleware, views, templates, API), so
  server-side time without network — list, search, detail, API, cockpit, KPI API, rollups (the full
  rebuild, the refresh with nothing new, and the recompute after one day of changes);
- ``raw``: the same reads in plain SQL and raw insert rates into a scratch table (``bench_raw``);
- ``exports``: the complaint ledger at 10,000 and 100,000 rows (``reports.bench``);
- ``http``: API create from concurrent clients over real HTTP against gunicorn (``bench_http``);
- ``import``: a CSV and an XLSX of ``import_rows`` complaints through the import service
  (``bench_import``);
- ``worker``: a real Celery worker's memory after the periodic jobs (``bench_worker``).

The database is first topped up to ``size`` complaints (``bench_data``: generated, and past a million
on PostgreSQL copied). The http and import parts
add complaints of their own (counted in ``size_after``). A part that fails — an HTTP error, an import
row that did not land, a job that raised — is recorded under ``failures`` and the run raises
``BenchFailed`` after writing the results.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Model
from django.test import Client

from closeloop.accounts.models import User
from closeloop.accounts.services import api_token_create
from closeloop.complaints.models import Complaint
from closeloop.core import heap
from closeloop.core.bench_changes import ages_of, day_of_changes, minute_of_real_changes
from closeloop.core.bench_data import LIVED, data_top_up
from closeloop.core.bench_env import machine_info, timed, vacuum_analyze
from closeloop.core.bench_table import summary_rows, summary_table
from closeloop.reports.bench import bench_exports

PARTS = ("pages", "raw", "exports", "http", "import", "worker")


class BenchFailed(RuntimeError):
    """A part measured something that must not happen (errors, rows missing); results are written."""


def parts_select(
    *, only: str | Iterable[str] | None = None, skip: str | Iterable[str] | None = None
) -> list[str]:
    """The parts to run, in PARTS order: ``only`` (default all) minus ``skip``; each given as a
    comma-separated string or a list. Raises ValueError naming an unknown part."""

    def names(value: str | Iterable[str] | None) -> list[str]:
        items = value.split(",") if isinstance(value, str) else list(value or [])
        items = [i.strip() for i in items if i.strip()]
        unknown = sorted(set(items) - set(PARTS))
        if unknown:
            raise ValueError(f"unknown bench part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
        return items

    chosen = set(names(only) or PARTS) - set(names(skip))
    return [p for p in PARTS if p in chosen]


def _ok(resp: Any) -> Any:
    if resp.status_code >= 400:
        raise RuntimeError(f"bench request failed: {resp.status_code} {resp.content[:200]!r}")
    return resp


def _user_with(*perms: str) -> User:
    for user in User.objects.filter(is_active=True).order_by("id"):
        if user.has_perms(perms):
            return user
    raise RuntimeError(f"no active user with {', '.join(perms)}; run `manage.py demo_load` first")


def _customer_code() -> str:
    code = Complaint.objects.values_list("customer__code", flat=True).first()
    if code is None:
        from closeloop.customers.models import Customer

        code = Customer.objects.filter(is_active=True).values_list("code", flat=True).first()
    if code is None:
        raise RuntimeError("no customer; run `manage.py demo_load` first")
    return str(code)


def _quality_manager() -> User:
    user = User.objects.filter(groups__name="quality_manager", is_active=True).first()
    if user is None:
        raise RuntimeError("no quality manager user; run `manage.py demo_load` first")
    return user


def _pages(
    *, size: int, runs: int, out: Callable[[str], None], rebuild: bool = True, whole_day: bool = True
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The in-process cases (and the rollup rebuild they need, unless ``rebuild`` is false because
    the rollups are already built; and the day of changes and its minutes, unless ``whole_day`` is
    false); returns (results, rollups)."""
    user = _quality_manager()
    hosts = list(settings.ALLOWED_HOSTS) or ["127.0.0.1"]
    host = "127.0.0.1" if ("*" in hosts or "127.0.0.1" in hosts) else hosts[0].lstrip(".")
    web = Client(HTTP_HOST=host)
    web.force_login(user)
    _token, raw = api_token_create(user=user, name="bench")
    api = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {raw}")
    have = Complaint.objects.count()
    # The complaint page measured is the one in the middle by id: complaints the bench itself adds (API
    # create, imports) take higher ids, so repeated runs read the same complaint (counted from the
    # newest, each run moved it and the page's cost with it).
    number = Complaint.objects.order_by("pk").values_list("number", flat=True)[min(size // 2, have - 1)]
    # And a complaint being triaged, whose page also shows this quality manager its triage actions (the
    # triage form itself is drawn on demand once a complaint is triaged) and the start of handling: the
    # first triaged complaint from the middle on (the generator leaves a few per cent of them triaged).
    middle = Complaint.objects.filter(number=number).values_list("pk", flat=True)[0]
    triaged = (
        Complaint.objects.filter(status="triaged", pk__gte=middle)
        .order_by("pk")
        .values_list("number", flat=True)
    ).first() or number
    customer = _customer_code()

    def deep_pages() -> None:
        url = "/complaints/?sort=-received_at"
        for _ in range(10):
            resp = _ok(web.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="complaint-table"))
            marker = 'rel="next" href="'
            body = resp.content.decode()
            if marker not in body:
                break
            url = "/complaints/" + body.split(marker, 1)[1].split('"', 1)[0].replace("&amp;", "&")

    def raw_list() -> None:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT id, number, title FROM complaints_complaint "
                "ORDER BY received_at DESC, id DESC LIMIT 26"
            )
            cur.fetchall()

    # The cockpit reads daily rollups: build them as the worker would, and time it.
    from closeloop.dashboards import models as dm
    from closeloop.dashboards.rollups import ROLLUP_MODELS, rollups_rebuild, rollups_refresh

    # What the rebuild and the day of changes below write again.
    rewritten: list[type[Model]] = [*ROLLUP_MODELS, dm.NowSnapshot, dm.RollupFootprint, dm.RollupState]

    rollups: dict[str, Any] = {"full_rebuild_seconds": None, "days": None}
    if rebuild:
        t = time.perf_counter()
        days = rollups_rebuild()
        rollups = {"full_rebuild_seconds": round(time.perf_counter() - t, 2), "days": days}
        out(f"  {'rollups: full rebuild':<32} {rollups['full_rebuild_seconds']:>8.2f} s ({days} days)")
    else:
        out(f"  {'rollups: full rebuild':<32} skipped (--keep-rollups)")
    rollups["day_of_changes"] = day = day_of_changes(whole_day=whole_day)
    if whole_day:
        out(
            f"  {'rollups: a day of changes':<32} {day['seconds']:>8.2f} s ({day['complaints']:,} "
            f"complaints changed on {day['day']}, {day['days_recomputed']} days recomputed)"
        )
    else:
        out(
            f"  {'rollups: a day of changes':<32} skipped (--no-day-of-changes; {day['complaints']:,} "
            f"complaints changed on {day['day']})"
        )
    for m in day["minutes"]:
        out(
            f"  {'rollups: a minute of changes':<32} {m['seconds']:>8.2f} s ({m['complaints']:,} complaints, "
            f"{m['days_recomputed']} days recomputed)"
        )
    if whole_day:
        # As many real changes as the busiest minute sampled of the generated day had, to complaints of
        # the same ages.
        busiest = max(day["minutes"], key=lambda m: m["complaints"])
        at = dt.datetime.fromisoformat(busiest["at"])
        rollups["real_minute"] = real = minute_of_real_changes(
            ages_of(at, at + dt.timedelta(minutes=1)), user
        )
        steps = ", ".join(f"{k} {v}" for k, v in sorted(real["steps"].items()))
        out(
            f"  {'rollups: a minute, real changes':<32} {real['seconds']:>8.2f} s ({real['complaints']:,} "
            f"complaints moved on: {steps}; {real['days_recomputed']} days recomputed, "
            f"{real['deadline_days']} days' deadlines moved by a difference)"
        )
    # The rebuild and the day of changes rewrote the rollup rows: measured unvacuumed, the pages read
    # as many dead rows as live ones (the cockpit took a fifth longer at a million complaints).
    rollups["vacuum_seconds"] = took = vacuum_analyze(rewritten)
    if took is not None:
        out(f"  {'rollups: VACUUM ANALYZE':<32} {took:>8.2f} s (as autovacuum would after these rewrites)")
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("list: first page", lambda: _ok(web.get("/complaints/"))),
        (
            "list: status+severity filter",
            lambda: _ok(web.get("/complaints/?status=triaged&severity=serious")),
        ),
        ("list: 10 keyset pages", deep_pages),
        ("search: 3+ chars (变速箱)", lambda: _ok(web.get("/complaints/?q=变速箱"))),
        ("search: 2-char word (漏油)", lambda: _ok(web.get("/complaints/?q=漏油"))),
        ("detail page", lambda: _ok(web.get(f"/complaints/{number}/"))),
        ("detail page, triaged", lambda: _ok(web.get(f"/complaints/{triaged}/"))),
        ("API list (20)", lambda: _ok(api.get("/api/v1/complaints"))),
        (
            "API create",
            lambda: _ok(
                api.post(
                    "/api/v1/complaints",
                    json.dumps({"customer": customer, "title": "基准测试", "description": "bench"}),
                    content_type="application/json",
                )
            ),
        ),
        # The worker refreshes every minute; timing its refresh right before the cockpit also leaves
        # the snapshots of now as fresh as a running worker keeps them.
        ("rollups: refresh, nothing new", rollups_refresh),
        ("cockpit page (last 90 days)", lambda: _ok(web.get("/dashboard/?period=last_90"))),
        (
            "cockpit page, one customer",
            lambda: _ok(web.get(f"/dashboard/?period=last_90&customer={customer}")),
        ),
        ("API dashboard KPIs", lambda: _ok(api.get("/api/v1/dashboard/kpis"))),
        ("raw SQL: first list page", raw_list),
    ]
    results: dict[str, Any] = {}
    # Measured as a web process serves them: with what is loaded left out of the garbage collector's
    # passes, as config/wsgi.py leaves a web process (closeloop.core.heap). Otherwise the collector's
    # full passes over this process's heap land on whichever request happens to trigger them.
    with heap.frozen():
        for name, fn in cases:
            r = results[name] = timed(fn, runs)
            out(f"  {name:<32} p50 {r['p50_ms']:>8.2f} ms   p95 {r['p95_ms']:>8.2f} ms")
    return results, rollups


def _part_failures(part: str, result: dict[str, Any]) -> list[str]:
    """What a part measured that invalidates the run (the run fails loudly on any of these)."""
    found = []
    if part == "http":
        if result["errors"]:
            found.append(f"http: {result['errors']} failed requests, e.g. {result['error_samples'][:2]}")
        if result["created_in_db"] != result["requests"] + result["warmup_ok"]:
            found.append(
                f"http: {result['requests'] + result['warmup_ok']} created answered, "
                f"{result['created_in_db']} complaints landed"
            )
        if not result["requests"]:
            found.append("http: no successful request")
    if part == "import":
        for fmt, r in result.items():
            if not r["ok"]:
                found.append(
                    f"import {fmt}: job {r['job_status']}, {r['created']} created, {r['errors']} errors, "
                    f"{r['landed']} landed of {r['rows']}: {r['report_sample'][:2]}"
                )
    if part == "worker" and result["tasks_failed"]:
        found.append(f"worker: {result['tasks_failed']}")
    return found


def bench_run(
    *,
    size: int,
    runs: int = 30,
    parts: Iterable[str] = PARTS,
    http_seconds: float = 30,
    http_clients: int = 8,
    http_workers: int | None = None,
    import_rows: int | None = None,
    raw_rows: int = 100_000,
    worker_rounds: int = 2,
    worker_timeout: float = 1800,
    keep_rollups: bool = False,
    day_of_changes: bool = True,
    lived: int = LIVED,
    results_path: Path | None = None,
    out: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Top the database up to at least ``size`` complaints (generated up to ``lived``, copied past it:
    ``bench_data.data_top_up``), run ``parts``, print the summary table and write the
    report (default var/bench/results.json under BASE_DIR). ``import_rows`` defaults to
    min(100,000, size) (at least 1). ``keep_rollups``: the pages part does not rebuild the rollups
    first (they were built and are current; the worker's refresh is still timed); without
    ``day_of_changes`` it does not time the recompute after a day of changes nor after its minutes.
    Returns the report; raises BenchFailed after writing it when a part recorded failures."""
    parts = list(parts)
    settings.DEBUG = False  # no query logging while measuring
    path = results_path or Path(settings.BASE_DIR) / "var" / "bench" / "results.json"
    log_dir = path.parent
    data_top_up(size, lived=lived, out=out)
    size_before = Complaint.objects.count()
    report: dict[str, Any] = {
        "size": size_before,
        "database": connection.vendor,
        "machine": machine_info(),
        "parts": parts,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if report["machine"]["database_settings"]:
        shown = ", ".join(f"{k}={v}" for k, v in report["machine"]["database_settings"].items())
        out(f"PostgreSQL server settings: {shown}")
    failures: list[str] = []
    number = Complaint.objects.order_by("-received_at").values_list("number", flat=True).first()
    n_import = max(1, min(100_000, size)) if import_rows is None else import_rows

    def run_part(part: str) -> None:
        out(f"[{part}]")
        if part == "pages":
            report["results"], report["rollups"] = _pages(
                size=size, runs=runs, out=out, rebuild=not keep_rollups, whole_day=day_of_changes
            )
        elif part == "raw":
            report["raw"] = _raw(number)
        elif part == "exports":
            report["exports"] = bench_exports(user=_quality_manager(), size=size, out=out)
        elif part == "http":
            from closeloop.core.bench_http import http_create_measure

            report["http"] = http_create_measure(
                user=_user_with("complaints.add_complaint"),
                customer=_customer_code(),
                seconds=http_seconds,
                clients=http_clients,
                workers=http_workers,
                log_dir=log_dir,
                out=out,
            )
        elif part == "import":
            from closeloop.core.bench_import import import_measure

            user = _user_with("complaints.add_complaint", "complaints.import_complaints")
            report["imports"] = import_measure(user=user, rows=n_import, out=out)
        elif part == "worker":
            from closeloop.core.bench_worker import worker_measure

            report["worker"] = worker_measure(
                rounds=worker_rounds,
                log_dir=log_dir,
                import_rows=n_import,
                import_user=_user_with("complaints.add_complaint", "complaints.import_complaints"),
                out=out,
                timeout=worker_timeout,
            )

    def _raw(num: str | None) -> dict[str, Any]:
        from closeloop.core.bench_raw import raw_measure

        return raw_measure(rows=raw_rows, runs=runs, number=num, out=out)

    for part in parts:
        try:
            run_part(part)
        except Exception as exc:  # noqa: BLE001 — recorded, the other parts still run, then the run fails
            failures.append(f"{part}: {type(exc).__name__}: {exc}")
            out(traceback.format_exc())
            continue
        key = {"http": "http", "import": "imports", "worker": "worker"}.get(part)
        if key:
            failures.extend(_part_failures(part, report[key]))
    report["size_after"] = Complaint.objects.count()
    report["summary"] = summary_rows(report)
    report["failures"] = failures
    table = summary_table(report["summary"], database=report["machine"]["database"], size=size_before)
    out("")
    out(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    out(f"written {path}")
    if failures:
        raise BenchFailed("the bench recorded failures:\n" + "\n".join(failures))
    return report
