"""The import part of ``make bench``: a CSV and an XLSX of ``rows`` valid complaint rows, imported
through the service the import page and ``manage.py import_data`` use
(``import_job_create`` — permission, sniffing, header check, storing the upload — then
``import_job_run``: rows streamed, validated and written in batches by the bulk intake path,
``closeloop.intake.bulk``, which gives each row exactly what ``complaint_intake`` would).

Rows are Chinese, with the template's Chinese headers, the demo's issue texts, the database's own
customers, their existing contacts, products and categories, received over the last 365 days.

Memory is measured as the peak resident set of this process during the import minus its resident set
before (``VmHWM`` after resetting it through /proc/self/clear_refs; where that is not possible, the
growth of getrusage's lifetime ``ru_maxrss``, which only shows growth beyond earlier peaks). It
includes the file held in memory, the batch being written and Django's caches.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.utils import timezone
from openpyxl import Workbook

from closeloop.accounts.models import User
from closeloop.complaints.models import Category, Complaint
from closeloop.core.bench_env import (
    cpu_delta,
    cpu_per_unit,
    cpu_text,
    database_server_pid,
    maxrss_kb,
    peak_rss_reset,
    proc_status_kb,
    tree_cpu_seconds,
)
from closeloop.core.demo_data import ISSUES
from closeloop.customers.models import Contact, Customer, Product
from closeloop.intake.importing.columns import COLUMNS
from closeloop.intake.importing.service import import_job_create, import_job_run
from closeloop.intake.models import ImportKind, ImportStatus

KEYS = [
    "customer",
    "channel",
    "received_at",
    "title",
    "description",
    "customer_requirement",
    "product",
    "lot",
    "quantity_affected",
    "category",
    "severity",
    "urgency",
    "contact_name",
    "contact_phone",
]
CHANNELS = ["电话", "邮件", "在线表单", "销售拜访", "售后"]
SEVERITY = {"minor": "轻微", "general": "一般", "serious": "严重"}
WARMUP_ROWS = 5
PLACES = ["客户仓库", "产线", "安装现场", "收货检验", "终端用户处", "售后网点"]


def import_rows_make(rows: int, *, seed: int = 11) -> tuple[list[str], list[list[Any]]]:
    """The Chinese headers and ``rows`` valid complaint rows built from the database's master data.
    Raises RuntimeError when there is no active customer."""
    rng = random.Random(seed)  # noqa: S311 — reproducible benchmark data, not security
    customers = list(Customer.objects.filter(is_active=True).values_list("id", "code"))
    if not customers:
        raise RuntimeError("no active customer to import complaints for; run `manage.py demo_load` first")
    contacts: dict[int, list[tuple[str, str]]] = {}
    for cid, name, phone in Contact.objects.values_list("customer_id", "name", "phone"):
        contacts.setdefault(cid, []).append((name, phone))
    products = list(Product.objects.values_list("code", flat=True)) or [""]
    categories = set(Category.objects.filter(is_active=True).values_list("code", flat=True))
    by_key = {c.key: c for c in COLUMNS[ImportKind.COMPLAINTS]}
    headers = [by_key[k].zh for k in KEYS]
    now = timezone.localtime()
    out: list[list[Any]] = []
    for i in range(rows):
        cid, code = rng.choice(customers)
        category, severity, title, description, requirement = rng.choice(ISSUES)
        contact = rng.choice(contacts[cid]) if contacts.get(cid) and rng.random() < 0.8 else ("", "")
        received = now - dt.timedelta(minutes=rng.randint(60, 365 * 24 * 60))
        out.append(
            [
                code,
                rng.choice(CHANNELS),
                received.strftime("%Y-%m-%d %H:%M"),
                f"{title}（{rng.choice(PLACES)}）",
                f"{description} 批量导入第{i + 1}行，涉及{rng.choice([3, 5, 8, 12, 20, 50])}件。",
                requirement,
                rng.choice(products),
                f"L{rng.randint(2401, 2612)}{rng.choice('ABCD')}",
                rng.choice([1, 2, 5, 10, 20, 50, 100]),
                category if category in categories else "",
                SEVERITY.get(severity, ""),
                "紧急" if rng.random() < 0.2 else "一般",
                *contact,
            ]
        )
    return headers, out


def csv_bytes(headers: list[str], rows: list[list[Any]]) -> bytes:
    """UTF-8 with a BOM, as Excel writes "CSV UTF-8"."""
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(headers)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")


def xlsx_bytes(headers: list[str], rows: list[list[Any]]) -> bytes:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("complaints")
    ws.append(headers)
    for r in rows:
        ws.append(r)
    with tempfile.TemporaryFile() as fh:
        wb.save(fh)
        fh.seek(0)
        return fh.read()


def import_file_measure(*, user: User, name: str, data: bytes, rows: int) -> dict[str, Any]:
    """Import ``data`` as the import page does, timed end to end (create + run); return rows/s, memory,
    the job's counts and ``landed`` (complaints that appeared). The stored upload is deleted afterwards
    (the job row stays), so repeated runs do not fill the media folder."""
    before_rows = Complaint.objects.count()
    rss_before = proc_status_kb("self", "VmRSS")
    maxrss_before = maxrss_kb()
    reset = peak_rss_reset()
    db_pid = database_server_pid()
    db_cpu = tree_cpu_seconds(db_pid) if db_pid else None
    cpu = time.process_time()  # every thread of this process: the reader and the writer
    t = time.perf_counter()
    job = import_job_create(user=user, kind=ImportKind.COMPLAINTS, name=name, data=data, queue=False)
    created_s = time.perf_counter() - t
    job = import_job_run(job_id=job.pk)
    wall = time.perf_counter() - t
    app_cpu = time.process_time() - cpu
    db_spent = cpu_delta(db_cpu, tree_cpu_seconds(db_pid) if db_pid else None)
    peak = proc_status_kb("self", "VmHWM")
    if reset and peak and rss_before:
        mem = {"peak_rss_delta_mb": round((peak - rss_before) / 1024, 1), "memory_method": "VmHWM-VmRSS"}
    else:
        grown = maxrss_kb() - maxrss_before
        mem = {"peak_rss_delta_mb": round(grown / 1024, 1), "memory_method": "ru_maxrss growth"}
    landed = Complaint.objects.count() - before_rows
    if job.file:
        job.file.delete(save=True)
    return {
        "rows": rows,
        "file_mb": round(len(data) / 2**20, 2),
        "wall_s": round(wall, 2),
        "upload_check_s": round(created_s, 2),
        "rows_per_s": round(rows / wall, 1) if wall else 0.0,
        "peak_rss_mb": round(peak / 1024, 1) if reset and peak else None,
        **mem,
        "job_status": job.status,
        "created": job.created_count,
        "errors": job.error_count,
        "report_sample": job.report[:5],
        "landed": landed,
        "cpu_per_row": cpu_per_unit(units=rows, app_s=app_cpu, database_s=db_spent),
        "ok": job.status == ImportStatus.DONE and job.created_count == rows == landed and not job.error_count,
    }


def import_measure(
    *,
    user: User,
    rows: int,
    formats: tuple[str, ...] = ("csv", "xlsx"),
    out: Callable[[str], None] = print,
    keep_dir: Path | None = None,
) -> dict[str, Any]:
    """Build ``rows`` rows once, then import them as each of ``formats`` (each import creates ``rows``
    new complaints), after an unmeasured warm-up import of a few of them (``warmup``). With
    ``keep_dir`` the generated files are written there too."""
    t = time.perf_counter()
    headers, data_rows = import_rows_make(rows)
    files = {
        "csv": lambda: csv_bytes(headers, data_rows),
        "xlsx": lambda: xlsx_bytes(headers, data_rows),
    }
    out(f"  built {rows:,} import rows in {time.perf_counter() - t:.1f} s")
    results: dict[str, Any] = {}
    # One-time costs of the first import in a process (jieba's dictionary, catalogues, caches) belong
    # to a worker's start, not to each import: a small unmeasured import pays them first.
    warm = min(rows, WARMUP_ROWS)
    results["warmup"] = import_file_measure(
        user=user, name="bench-warmup.csv", data=csv_bytes(headers, data_rows[:warm]), rows=warm
    )
    for fmt in formats:
        t = time.perf_counter()
        data = files[fmt]()
        make_s = time.perf_counter() - t
        if keep_dir is not None:
            keep_dir.mkdir(parents=True, exist_ok=True)
            (keep_dir / f"import-{rows}.{fmt}").write_bytes(data)
        r = import_file_measure(user=user, name=f"bench-{rows}.{fmt}", data=data, rows=rows)
        r["file_make_s"] = round(make_s, 2)
        results[fmt] = r
        out(
            f"  {f'import {fmt.upper()} {rows:,} rows':<32} {r['rows_per_s']:>8,.1f} rows/s  "
            f"{r['wall_s']:.1f} s  {r['file_mb']} MB file  peak RSS +{r['peak_rss_delta_mb']} MB "
            f"({r['memory_method']})  landed {r['landed']:,}, errors {r['errors']}"
        )
        if r["cpu_per_row"]:
            out(f"  {'':<32} CPU per row: {cpu_text(r['cpu_per_row'], app='this process')}")
    return results
