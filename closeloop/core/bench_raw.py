"""The raw limits of ``make bench``: what the database itself does on this machine, so each app figure
can be read as a ratio to the floor.

- Reads: plain SQL for the list's first page, the list's status+severity page, the complaint page's
  row, and the cockpit's counts over the last 90 days (received and invalid, closed and reopened, the
  Pareto by category, the open backlog) — computed straight from the complaint table, where the app
  reads rollups.
- Writes: complaint-like rows (number, title, Chinese description, customer, status, severity,
  priority, received time; primary key, unique number and a received-time index) into a scratch table
  that is created and dropped here: ``executemany`` in batches of 1,000 per transaction (both
  databases), ``COPY`` (PostgreSQL, psycopg's ``cursor.copy``), and one row per transaction (the
  commit-bound floor of a request that writes once).
- The complaint table's own write floor: its newest rows copied into it again by one
  ``INSERT … SELECT`` (new ids and numbers), every index maintained — the B-trees and the search
  index — then rolled back. An import can go no faster than this on this table.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from closeloop.complaints.models import Complaint
from closeloop.complaints.workflow import Status
from closeloop.core.bench_env import timed

SCRATCH = "bench_scratch_complaint"
BATCH = 1000
COLUMNS = ("number", "title", "description", "customer_id", "status", "severity", "priority", "received_at")
DESCRIPTION = "客户收货后发现螺丝刀杆表面大面积生锈，疑似运输途中受潮。现场抽检50支，不良12支。"


def _dt(value: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def raw_read_cases(*, number: str | None) -> list[tuple[str, Callable[[], Any]]]:
    """The plain-SQL twins of the list, detail and cockpit reads (named ``raw SQL: …``)."""
    table = Complaint._meta.db_table
    end = timezone.now()
    start = end - dt.timedelta(days=90)
    invalid = (Status.REJECTED.value, Status.MERGED.value)
    ended = (*invalid, Status.CLOSED.value)
    period = [_dt(start), _dt(end)]

    def run(sql: str, params: list[Any] | tuple[Any, ...] = ()) -> None:
        with connection.cursor() as cur:
            cur.execute(sql, params)
            cur.fetchall()

    def kpis() -> None:
        run(
            f"SELECT SUM(CASE WHEN status NOT IN (%s, %s) THEN 1 ELSE 0 END),"  # noqa: S608 — our table name
            f" SUM(CASE WHEN status IN (%s, %s) THEN 1 ELSE 0 END) FROM {table}"
            " WHERE received_at >= %s AND received_at < %s",
            [*invalid, *invalid, *period],
        )
        run(
            f"SELECT COUNT(*), SUM(CASE WHEN reopen_count > 0 THEN 1 ELSE 0 END) FROM {table}"  # noqa: S608
            " WHERE status = %s AND closed_at >= %s AND closed_at < %s",
            [Status.CLOSED.value, *period],
        )
        run(
            f"SELECT category_id, COUNT(*) FROM {table}"  # noqa: S608
            " WHERE received_at >= %s AND received_at < %s AND status NOT IN (%s, %s)"
            " GROUP BY category_id ORDER BY 2 DESC",
            [*period, *invalid],
        )
        run(f"SELECT COUNT(*) FROM {table} WHERE status NOT IN (%s, %s, %s)", ended)  # noqa: S608

    cases: list[tuple[str, Callable[[], Any]]] = [
        (
            "raw SQL: status+severity page",
            lambda: run(
                f"SELECT id, number, title FROM {table} WHERE status = %s AND severity = %s"  # noqa: S608
                " ORDER BY received_at DESC, id DESC LIMIT 26",
                [Status.TRIAGED.value, "serious"],
            ),
        ),
        ("raw SQL: cockpit counts, 90 days", kpis),
    ]
    if number:
        cases.insert(
            1,
            ("raw SQL: complaint row", lambda: run(f"SELECT * FROM {table} WHERE number = %s", [number])),  # noqa: S608
        )
    return cases


def _scratch_create() -> None:
    pk = "bigserial PRIMARY KEY" if connection.vendor == "postgresql" else "integer PRIMARY KEY"
    ts = "timestamp with time zone" if connection.vendor == "postgresql" else "datetime"
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {SCRATCH}")
        cur.execute(
            f"CREATE TABLE {SCRATCH} (id {pk}, number varchar(40) NOT NULL UNIQUE,"
            " title varchar(200) NOT NULL, description text NOT NULL, customer_id bigint,"
            f" status varchar(20) NOT NULL, severity varchar(20) NOT NULL, priority integer NOT NULL,"
            f" received_at {ts} NOT NULL)"
        )
        cur.execute(f"CREATE INDEX {SCRATCH}_recv ON {SCRATCH} (received_at DESC, id DESC)")


def _scratch_drop() -> None:
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {SCRATCH}")


def _rows(prefix: str, n: int) -> Iterator[tuple[Any, ...]]:
    now = timezone.now()
    for i in range(n):
        yield (
            f"{prefix}-{i:09d}",
            f"螺丝刀杆生锈 {i}",
            DESCRIPTION,
            i % 50 + 1,
            "new",
            "serious" if i % 5 == 0 else "general",
            i % 100,
            _dt(now - dt.timedelta(seconds=i)),
        )


def _rate(rows: int, seconds: float) -> dict[str, Any]:
    return {"rows": rows, "seconds": round(seconds, 3), "rows_per_s": round(rows / seconds, 1)}


def _insert_sql() -> str:
    return f"INSERT INTO {SCRATCH} ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"  # noqa: S608


def raw_insert_measure(*, rows: int, single_rows: int) -> dict[str, Any]:
    """Insert rates into the scratch table (always dropped again): executemany, COPY (PostgreSQL) and
    ``single_rows`` one-row transactions."""
    results: dict[str, Any] = {}
    _scratch_create()
    try:
        rows_iter = list(_rows("E", rows))
        t = time.perf_counter()
        for i in range(0, rows, BATCH):
            with transaction.atomic(), connection.cursor() as cur:
                cur.executemany(_insert_sql(), rows_iter[i : i + BATCH])
        results["executemany"] = _rate(rows, time.perf_counter() - t)
        if connection.vendor == "postgresql":
            copy_rows = list(_rows("C", rows))
            t = time.perf_counter()
            copy_sql = f"COPY {SCRATCH} ({', '.join(COLUMNS)}) FROM STDIN"
            with transaction.atomic(), connection.cursor() as cur, cur.cursor.copy(copy_sql) as copy:
                for r in copy_rows:
                    copy.write_row(r)
            results["copy"] = _rate(rows, time.perf_counter() - t)
        one = list(_rows("S", single_rows))
        t = time.perf_counter()
        sql = _insert_sql()
        for r in one:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute(sql, r)
        results["one_row_per_transaction"] = _rate(single_rows, time.perf_counter() - t)
    finally:
        _scratch_drop()
    return results


class _RolledBack(Exception):
    pass


def table_insert_measure(*, rows: int) -> dict[str, Any] | None:
    """Time copying the ``rows`` newest complaints into the complaint table again in one statement
    (every column but the id; the number suffixed, so it stays unique), then roll it back: the table
    holds the rows it held (the id sequence moves on, and the rolled-back rows stay in the table and
    its indexes as dead tuples until a vacuum; measured not to slow the import part that follows).
    None when there is no complaint to copy."""
    available = min(rows, Complaint.objects.count())
    if not available:
        return None
    meta = Complaint._meta
    qn = connection.ops.quote_name
    columns = [str(f.column) for f in meta.concrete_fields if not f.primary_key]
    selected = [f"{qn('number')} || 'R'" if c == "number" else qn(c) for c in columns]
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(c) for c in columns)}) "  # noqa: S608 - names only
        f"SELECT {', '.join(selected)} FROM {qn(meta.db_table)} ORDER BY {qn('id')} DESC LIMIT %s"
    )
    seconds = 0.0
    try:
        with transaction.atomic(), connection.cursor() as cur:
            t = time.perf_counter()
            cur.execute(sql, [available])
            seconds = time.perf_counter() - t
            raise _RolledBack
    except _RolledBack:
        pass
    return _rate(available, seconds)


def raw_measure(
    *, rows: int, runs: int, number: str | None, out: Callable[[str], None] = print
) -> dict[str, Any]:
    """The raw read timings (p50/p95 of ``runs``) and insert rates of ``rows`` rows (and a tenth of
    them, at most 5,000, one per transaction)."""
    reads: dict[str, Any] = {}
    for name, fn in raw_read_cases(number=number):
        reads[name] = timed(fn, runs)
        out(f"  {name:<32} p50 {reads[name]['p50_ms']:>8.2f} ms   p95 {reads[name]['p95_ms']:>8.2f} ms")
    inserts = raw_insert_measure(rows=rows, single_rows=max(1, min(rows // 10, 5000)))
    for name, r in inserts.items():
        out(f"  {'raw insert: ' + name:<36} {r['rows_per_s']:>10,.0f} rows/s ({r['rows']:,} rows)")
    best = max(inserts[k]["rows_per_s"] for k in ("executemany", "copy") if k in inserts)
    table = table_insert_measure(rows=rows)
    if table is not None:
        out(
            f"  {'raw insert: into the complaint table':<36} {table['rows_per_s']:>10,.0f} rows/s"
            f" ({table['rows']:,} rows)"
        )
    return {
        "reads": reads,
        "inserts": inserts,
        "bulk_rows_per_s": best,
        "complaint_table_rows_per_s": table and table["rows_per_s"],
    }
