"""`make bench` runs end to end on small sizes. Its timings are printed, never asserted: these tests
check the report's structure, that each measured figure is present and positive, and that the rows the
bench says it created really landed.

The HTTP and worker parts start real gunicorn and Celery processes, so they run the bench command in a
child process on a database that process can open: a file copy of the test database on SQLite (the
test database itself is in memory), the test database itself on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from closeloop.complaints.models import Complaint
from closeloop.core.bench import PARTS, parts_select
from closeloop.core.bench_changes import MINUTES_SAMPLED
from closeloop.core.bench_env import (
    DATABASE_SETTINGS,
    REPO_ROOT,
    cpu_delta,
    cpu_per_unit,
    cpu_text,
    database_server_pid,
    database_url,
    machine_info,
    percentiles,
    timed,
    tree_cpu_seconds,
    vacuum_analyze,
)
from closeloop.core.bench_table import summary_rows, summary_table
from closeloop.dashboards.kpi import site_tz
from closeloop.dashboards.rollups import complaints_changed


class _Out:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def write(self, text: str) -> None:
        self.lines.append(text)


@pytest.mark.django_db
def test_bench_measures_every_page_and_writes_results(settings, tmp_path, qm, monkeypatch):
    from closeloop.core import bench

    settings.BASE_DIR = tmp_path
    # Pages are timed as a web process serves them, with the loaded heap frozen (config/wsgi.py), and
    # the heap is handed back after.
    frozen_while_timed: list[int] = []

    def spy(fn: Any, runs: int) -> dict[str, float]:
        frozen_while_timed.append(gc.get_freeze_count())
        return timed(fn, runs)

    monkeypatch.setattr(bench, "timed", spy)
    call_command("bench", "--size", "200", "--runs", "2", "--only", "pages,exports", stdout=_Out())
    assert frozen_while_timed and all(n > 0 for n in frozen_while_timed)
    assert gc.get_freeze_count() == 0
    report = json.loads((tmp_path / "var" / "bench" / "results.json").read_text())
    assert report["size"] >= 200
    assert report["parts"] == ["pages", "exports"]
    assert set(report["results"]) >= {
        "list: first page",
        "search: 2-char word (漏油)",
        "detail page",
        "detail page, triaged",
        "API create",
        "cockpit page (last 90 days)",
        "API dashboard KPIs",
    }
    assert report["rollups"]["days"] > 0
    # The day of changes is a real day of the generated data, recomputed through the worker's own code.
    day = report["rollups"]["day_of_changes"]
    start = dt.datetime.combine(dt.date.fromisoformat(day["day"]), dt.time.min, tzinfo=site_tz())
    assert day["complaints"] == len(complaints_changed(start, start + dt.timedelta(days=1)))
    # Each changed complaint was received by then, so it is counted on at least one finished day.
    assert (day["days_recomputed"] > 0) == (day["complaints"] > 0) and day["seconds"] >= 0
    assert len(day["minutes"]) == len(MINUTES_SAMPLED)
    assert all(m["complaints"] <= day["complaints"] and m["seconds"] >= 0 for m in day["minutes"])
    # And a minute of real changes, as many as the busiest minute sampled (test_bench_changes.py).
    real = report["rollups"]["real_minute"]
    assert real["complaints"] == max(m["complaints"] for m in day["minutes"])
    assert sum(real["steps"].values()) == real["complaints"] and real["seconds"] >= 0
    assert real["days_recomputed"] >= 0 and real["deadline_days"] >= 0
    assert all(r["p95_ms"] >= r["p50_ms"] > 0 for r in report["results"].values())
    assert report["exports"]
    machine = report["machine"]
    assert machine["cores"] > 0 and machine["database"] == connection.vendor and machine["database_version"]
    assert report["failures"] == []
    rows = {r["measure"]: r for r in report["summary"]}
    assert rows["list: first page"]["met"] in (True, False)
    assert rows["import CSV"]["result"] == "not run"


@pytest.mark.django_db
def test_keep_rollups_measures_the_pages_on_the_rollups_as_built(settings, tmp_path, qm, monkeypatch):
    from closeloop.dashboards import rollups
    from closeloop.dashboards.models import DailyRollup

    settings.BASE_DIR = tmp_path
    call_command("bench", "--size", "50", "--runs", "2", "--only", "pages", stdout=_Out())
    built = DailyRollup.objects.count()

    def no_rebuild(*args: Any, **kwargs: Any) -> int:
        raise AssertionError("--keep-rollups must not rebuild")

    monkeypatch.setattr(rollups, "rollups_rebuild", no_rebuild)
    out = _Out()
    call_command("bench", "--size", "50", "--runs", "2", "--only", "pages", "--keep-rollups", stdout=out)
    report = json.loads((tmp_path / "var" / "bench" / "results.json").read_text())
    assert report["rollups"]["full_rebuild_seconds"] is None and report["rollups"]["days"] is None
    assert report["rollups"]["day_of_changes"]["days_recomputed"] >= 0
    assert report["results"]["cockpit page (last 90 days)"]["p50_ms"] > 0
    assert DailyRollup.objects.count() >= built > 0 and report["failures"] == []
    assert any("skipped (--keep-rollups)" in line for line in out.lines)
    # Neither the day's recompute nor its minutes'.
    call_command(
        "bench",
        "--size",
        "50",
        "--runs",
        "2",
        "--only",
        "pages",
        "--keep-rollups",
        "--no-day-of-changes",
        stdout=(out := _Out()),
    )
    day = json.loads((tmp_path / "var" / "bench" / "results.json").read_text())["rollups"]["day_of_changes"]
    assert day["seconds"] is None and day["days_recomputed"] is None
    assert day["minutes"] == [] and day["complaints"] >= 0
    assert (
        "real_minute" not in json.loads((tmp_path / "var" / "bench" / "results.json").read_text())["rollups"]
    )
    assert any("skipped (--no-day-of-changes" in line for line in out.lines)


def test_parts_are_chosen_with_only_and_skip():
    assert parts_select() == list(PARTS)
    assert parts_select(only="import,http") == ["http", "import"]
    assert parts_select(skip="worker, exports") == ["pages", "raw", "http", "import"]
    with pytest.raises(ValueError, match="nope"):
        parts_select(only="pages,nope")


def test_summary_table_judges_each_target_and_names_what_did_not_run():
    report: dict[str, Any] = {
        "results": {"detail page": {"p50_ms": 10.0, "p95_ms": 20.0}},
        "raw": {
            "reads": {"raw SQL: complaint row": {"p50_ms": 0.05, "p95_ms": 0.06}},
            "inserts": {"one_row_per_transaction": {"rows_per_s": 4000.0}},
            "bulk_rows_per_s": 100_000.0,
        },
        "http": {"req_per_s": 500.0, "p50_ms": 9.0, "p95_ms": 20.0, "p99_ms": 30.0, "errors": 0},
        "imports": {"csv": {"rows_per_s": 6000.0, "rows": 10, "peak_rss_delta_mb": 1.0, "ok": True}},
    }
    rows = {r["measure"]: r for r in summary_rows(report)}
    assert rows["detail page"]["met"] is False and rows["detail page"]["ratio"].startswith("×200")
    assert rows["API create, HTTP, gunicorn"]["met"] is True
    assert rows["import CSV"]["met"] is True
    assert rows["import XLSX"]["met"] is None and rows["import XLSX"]["result"] == "not run"
    table = summary_table(summary_rows(report), database="sqlite", size=10)
    assert "ratio to raw limit" in table and "not run" in table


def test_cpu_per_unit_sums_the_shares_and_bounds_the_rate_by_the_cores(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    # 400 requests: gunicorn 1.6 s, PostgreSQL 0.6 s, clients 0.2 s = 6 ms each; 2 cores allow 333/s.
    b = cpu_per_unit(units=400, app_s=1.6, database_s=0.6, client_s=0.2)
    assert (b["app_cpu_ms"], b["database_cpu_ms"], b["client_cpu_ms"], b["cpu_ms"]) == (4.0, 1.5, 0.5, 6.0)
    assert b["cores"] == 2 and b["cpu_bound_per_s"] == 333.3 and b["database_cpu_counted"] is True
    assert cpu_text(b, client="clients") == (
        "gunicorn 4.00 + PostgreSQL 1.50 + clients 0.50 = 6.00 ms; 2 cores allow at most 333/s at that cost"
    )
    # SQLite (or a server elsewhere): the bound counts the app alone, and says so.
    alone = cpu_per_unit(units=1000, app_s=0.5, database_s=None)
    assert alone["cpu_ms"] == 0.5 and alone["cpu_bound_per_s"] == 4000.0
    assert "database_cpu_ms" not in alone and alone["database_cpu_counted"] is False
    assert "no database server counted" in cpu_text(alone, app="this process")
    assert cpu_per_unit(units=0, app_s=1.0, database_s=1.0) == {}
    # A reading not taken (no /proc, or SQLite's server) gives no difference rather than a wrong one.
    assert cpu_delta(1.25, 2.0) == 0.75
    assert cpu_delta(None, 2.0) is None and cpu_delta(1.0, None) is None


def test_the_table_gives_the_share_of_the_cpu_bound_only_when_the_database_was_counted():
    budget = {"cpu_bound_per_s": 400.0, "database_cpu_counted": True}
    report: dict[str, Any] = {
        "http": {
            "req_per_s": 300.0,
            "p50_ms": 9.0,
            "p95_ms": 20.0,
            "p99_ms": 30.0,
            "errors": 0,
            "cpu_per_request": budget,
        },
        "imports": {
            "csv": {
                "rows_per_s": 3000.0,
                "rows": 10,
                "peak_rss_delta_mb": 1.0,
                "ok": True,
                "cpu_per_row": {"cpu_bound_per_s": 4000.0, "database_cpu_counted": True},
            },
            "xlsx": {
                "rows_per_s": 3000.0,
                "rows": 10,
                "peak_rss_delta_mb": 1.0,
                "ok": True,
                "cpu_per_row": {"cpu_bound_per_s": 6000.0, "database_cpu_counted": False},
            },
        },
    }
    rows = {r["measure"]: r for r in summary_rows(report)}
    assert rows["API create, HTTP, gunicorn"]["ratio"] == "75% of the CPU bound (400/s)"
    assert rows["import CSV"]["ratio"] == "75% of the CPU bound (4,000/s)"
    assert rows["import XLSX"]["ratio"] == "—"


@pytest.mark.django_db
def test_the_database_server_is_found_on_postgresql_and_not_on_sqlite():
    pid = database_server_pid()
    if connection.vendor != "postgresql":
        assert pid is None
        return
    # The server behind the test database runs on this machine in every leg that uses PostgreSQL.
    assert pid is not None
    assert Path(f"/proc/{pid}/comm").read_text().strip() == "postgres"
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        backend = cur.fetchone()[0]
    assert Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1] == str(pid)
    before = tree_cpu_seconds(pid)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM generate_series(1, 3000000)")
    assert before is not None and (tree_cpu_seconds(pid) or 0) > before


@pytest.mark.django_db
def test_the_machine_record_holds_the_postgresql_settings_that_decide_speed():
    info = machine_info()
    if connection.vendor != "postgresql":
        assert info["database_settings"] == {}
        return
    settings_ = info["database_settings"]
    assert list(settings_) == list(DATABASE_SETTINGS)
    with connection.cursor() as cur:
        cur.execute("SELECT setting, unit FROM pg_settings WHERE name = 'shared_buffers'")
        pages, unit = cur.fetchone()
    # SHOW's text, e.g. "128MB" for 16384 pages of 8 kB: the same amount as the catalogue's.
    assert unit == "8kB"
    amount = settings_["shared_buffers"]
    factor = {"kB": 1, "MB": 1024, "GB": 1024**2}[amount.lstrip("0123456789")]
    assert int(amount.rstrip("kMGB")) * factor == int(pages) * 8


def test_percentiles_are_nearest_rank():
    p = percentiles([float(x) for x in range(1, 101)])
    assert (p["p50_ms"], p["p95_ms"], p["p99_ms"], p["max_ms"]) == (50, 95, 99, 100)


@pytest.mark.django_db
def test_import_part_lands_every_row_of_both_files(agent, customer):
    from closeloop.core.bench_import import import_measure

    result = import_measure(user=agent, rows=200, out=lambda s: None)
    assert set(result) == {"warmup", "csv", "xlsx"}
    for fmt in ("csv", "xlsx"):
        r = result[fmt]
        assert r["ok"], r
        assert r["created"] == r["landed"] == 200 and r["errors"] == 0
        assert r["rows_per_s"] > 0 and r["wall_s"] > 0 and r["file_mb"] > 0
        assert r["peak_rss_delta_mb"] is not None and r["memory_method"]
        cpu = r["cpu_per_row"]
        assert cpu["app_cpu_ms"] > 0 and cpu["cpu_bound_per_s"] > 0
        # The writer's backend works on PostgreSQL; SQLite's work is in this process's own figure.
        assert cpu["database_cpu_counted"] is (connection.vendor == "postgresql")
        if connection.vendor == "postgresql":
            assert cpu["database_cpu_ms"] > 0
            assert cpu["cpu_ms"] == pytest.approx(cpu["app_cpu_ms"] + cpu["database_cpu_ms"], abs=0.002)
    assert Complaint.objects.count() == 200 * 2 + result["warmup"]["rows"]
    assert (
        Complaint.objects.filter(customer=customer, title__contains="（").count() == Complaint.objects.count()
    )


@pytest.mark.django_db
def test_raw_part_measures_reads_and_inserts_and_drops_its_table(agent, customer):
    from closeloop.core.bench_raw import SCRATCH, raw_measure
    from closeloop.intake.drafts import ComplaintDraft
    from closeloop.intake.services import complaint_intake

    for title in ("漏油", "生锈"):
        draft = ComplaintDraft(channel="phone", customer=customer.code, title=title, description=title)
        complaint_intake(draft=draft, actor=agent)
    before = Complaint.objects.count()
    result = raw_measure(rows=300, runs=2, number="KS-NONE", out=lambda s: None)
    assert set(result["reads"]) == {
        "raw SQL: status+severity page",
        "raw SQL: complaint row",
        "raw SQL: cockpit counts, 90 days",
    }
    assert all(r["p95_ms"] >= r["p50_ms"] > 0 for r in result["reads"].values())
    expected = {"executemany", "one_row_per_transaction"} | (
        {"copy"} if connection.vendor == "postgresql" else set()
    )
    assert set(result["inserts"]) == expected
    assert all(r["rows_per_s"] > 0 and r["rows"] > 0 for r in result["inserts"].values())
    assert result["bulk_rows_per_s"] > 0
    assert SCRATCH not in connection.introspection.table_names()
    # The complaint table's floor copies its own rows and rolls them back.
    assert result["complaint_table_rows_per_s"] > 0
    assert Complaint.objects.count() == before


@pytest.mark.django_db
def test_the_complaint_table_floor_needs_complaints():
    from closeloop.core.bench_raw import table_insert_measure

    assert table_insert_measure(rows=100) is None


def _child_database(tmp_path: Path) -> str:
    """A DATABASE_URL with the test database's committed rows that a child process can open."""
    if connection.vendor != "sqlite":
        return database_url()
    copy = tmp_path / "bench.sqlite3"
    with connection.cursor() as cur:
        cur.execute(f"VACUUM INTO '{copy}'")
    return f"sqlite:///{copy}"


def _complaints_in(url: str) -> int:
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            return int(db.execute("SELECT COUNT(*) FROM complaints_complaint").fetchone()[0])
    return Complaint.objects.count()


def _bench_child(tmp_path: Path, url: str, *args: str, broker: str | None) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "CELERY_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.local",
            "DATABASE_URL": url,
            "CLOSELOOP_MEDIA_ROOT": str(tmp_path / "media"),
        }
    )
    if broker:
        env["CELERY_BROKER_URL"] = broker
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "manage.py", "bench", "--size", "0", "--out", str(out), *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return dict(json.loads(out.read_text()))


@pytest.mark.django_db(transaction=True)
def test_http_part_creates_complaints_through_gunicorn(tmp_path, agent, customer):
    url = _child_database(tmp_path)
    # memory:// in the children: the notification kicks of the created complaints go nowhere, rather
    # than into the repository's var/celery queue.
    report = _bench_child(
        tmp_path,
        url,
        *("--only", "http", "--http-seconds", "2", "--http-clients", "2", "--http-workers", "1"),
        broker="memory://",
    )
    h = report["http"]
    assert h["errors"] == 0 and h["requests"] > 0
    assert h["req_per_s"] > 0 and h["p99_ms"] >= h["p95_ms"] >= h["p50_ms"] > 0
    assert h["server"]["stopped_cleanly"] and h["server"]["workers_booted"] >= 1
    assert h["server_cpu_ms_per_request"] > 0
    budget = h["cpu_per_request"]
    assert budget["app_cpu_ms"] == pytest.approx(h["server_cpu_ms_per_request"], abs=0.01)
    assert budget["client_cpu_ms"] > 0 and budget["cpu_bound_per_s"] > 0
    assert budget["database_cpu_counted"] is url.startswith("postgres")
    if budget["database_cpu_counted"]:
        assert budget["database_cpu_ms"] > 0
    assert h["created_in_db"] == h["requests"] + h["warmup_ok"] == _complaints_in(url)
    assert report["failures"] == []


@pytest.mark.django_db(transaction=True)
def test_worker_part_measures_a_real_worker_after_the_periodic_jobs_and_imports(tmp_path, agent, customer):
    from django.conf import settings

    url = _child_database(tmp_path)
    before = _complaints_in(url)
    report = _bench_child(
        tmp_path, url, "--only", "worker", "--worker-rounds", "1", "--import-rows", "3", broker=None
    )
    w = report["worker"]
    assert w["tasks"] == len(settings.CELERY_BEAT_SCHEDULE) and w["tasks_failed"] == []
    assert w["peak_rss_mb"] >= w["peak_rss_jobs_mb"] >= w["rss_ready_mb"] > 0
    assert w["peak_rss_mb"] >= w["rss_after_mb"] > 0
    # The worker itself imported both files: their complaints landed.
    assert [(i["format"], i["rows"], i["status"], i["created"], i["ok"]) for i in w["imports"]] == [
        ("csv", 3, "done", 3, True),
        ("xlsx", 3, "done", 3, True),
    ]
    assert _complaints_in(url) == before + 6
    assert all(i["peak_rss_mb"] >= i["rss_before_mb"] > 0 for i in w["imports"])
    assert w["stopped_cleanly"]
    assert report["failures"] == []
    row = next(r for r in report["summary"] if r["measure"] == "worker memory")
    assert "and 2 imports of 3 rows" in row["result"]


def test_a_page_faster_than_its_raw_query_is_shown_as_a_fraction_not_zero():
    from closeloop.core.bench_table import _times_raw

    assert _times_raw(104.89, 1096.07) == "1/10 of raw p50 (1096.07 ms)"
    assert _times_raw(17.97, 0.57) == "×32 raw p50 (0.57 ms)"


@pytest.mark.django_db(transaction=True)
def test_vacuum_analyze_clears_the_dead_rows_a_bulk_rewrite_leaves(customer):
    """The bench vacuums after its own bulk writes (the generator, the rollup rebuild), as autovacuum
    would on a production server; on SQLite, and inside a transaction, it does nothing."""
    from closeloop.dashboards.models import DayTotal

    if connection.vendor != "postgresql":
        assert vacuum_analyze([DayTotal]) is None
        return
    DayTotal.objects.bulk_create(
        DayTotal(slice="x", day=dt.date(2026, 1, 1) + dt.timedelta(days=i)) for i in range(50)
    )
    DayTotal.objects.filter(slice="x").delete()

    def dead() -> int:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_stat_force_next_flush()")
            cur.execute(
                "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = %s", [DayTotal._meta.db_table]
            )
            return int(cur.fetchone()[0])

    assert dead() >= 50
    took = vacuum_analyze([DayTotal])
    assert took is not None and took >= 0
    assert dead() == 0
    with transaction.atomic():
        assert vacuum_analyze([DayTotal]) is None  # PostgreSQL refuses VACUUM in a transaction
