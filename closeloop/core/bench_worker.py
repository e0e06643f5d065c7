"""The worker part of ``make bench``: the resident memory of a real Celery worker process after it has
run the periodic jobs a few times.

The worker is started as ``make run`` / ``make worker`` start it (``celery -A config worker
--pool=solo``, without the embedded beat), with this process's settings module, database and broker
(the ``filesystem://`` folder under var/celery by default, Redis when CELERY_BROKER_URL says so). It
consumes only a queue of its own, so a worker already running on the same broker (``make run``) takes
none of the bench's tasks and the bench's worker takes none of its; mingle, gossip and heartbeats are
off for the same reason (they only exchange small control messages with other workers).

The jobs are the ones in CELERY_BEAT_SCHEDULE, sent by name ``rounds`` times; the bench waits for each
to be logged as succeeded, then reads VmHWM (peak) and VmRSS from /proc/<pid>/status. Then the worker
imports a CSV and an XLSX of ``import_rows`` complaint rows each, as it does when someone uploads one
(the job stored here, its task sent to the worker), and the peak is read again: the worker memory
target covers the worker's heaviest job. In the full bench this part runs last, so the rollup refresh
recomputes the days the HTTP and import parts touched.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings

from closeloop.accounts.models import User
from closeloop.core.bench_env import (
    REPO_ROOT,
    child_env,
    log_tail,
    peak_rss_reset,
    proc_status_kb,
    process_stop,
)

# Celery's "Task <name>[<id>] succeeded in <s>s: <value>" (or "raised …" / "retry: …").
DONE = re.compile(
    r"Task (?P<name>[\w.]+)\[(?P<id>[0-9a-f-]+)\] (?P<how>succeeded|raised|retry)(?: in (?P<s>[\d.]+)s)?"
)


def _wait_log(
    proc: subprocess.Popen[bytes], log: Path, done: Callable[[str], bool], timeout: float, what: str
) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace") if log.exists() else ""
        if done(text):
            return text
        if proc.poll() is not None:
            raise RuntimeError(f"the Celery worker exited with {proc.returncode}:\n{log_tail(log)}")
        time.sleep(0.2)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}:\n{log_tail(log)}")


def _broker_forget(app: Any, queue: str, node: str) -> None:
    """On the ``filesystem://`` broker, remove what the stopped worker left: the binding of its
    remote-control (pidbox) queue, which would otherwise collect a copy of every broadcast forever,
    and its own queue's exchange table. Other brokers expire or drop these themselves."""
    if not str(settings.CELERY_BROKER_URL).startswith("filesystem"):
        return
    with app.connection_for_write() as conn:
        # kombu's filesystem channel: _delete(queue, exchange, routing_key, pattern) unbinds and purges.
        conn.default_channel._delete(f"{node}.celery.pidbox", "celery.pidbox", "", "")
        conn.default_channel._delete(queue, queue, queue, "")
    control = settings.CELERY_BROKER_TRANSPORT_OPTIONS.get("control_folder")
    if control:
        (Path(control) / f"{queue}.exchange").unlink(missing_ok=True)


def _mb(kb: int | None) -> float | None:
    return round(kb / 1024, 1) if kb else None


def worker_measure(
    *,
    rounds: int,
    log_dir: Path,
    import_rows: int = 0,
    import_user: User | None = None,
    out: Callable[[str], None] = print,
    timeout: float = 1800,
) -> dict[str, Any]:
    """Start the worker, run every beat job ``rounds`` times on it, read its memory, then (with
    ``import_rows`` and ``import_user``) have it import a CSV and an XLSX of that many rows, read its
    memory again, stop it.

    Returns VmRSS when ready, the peak (VmHWM) after the periodic jobs and after everything, the RSS at
    the end, each job's run times, each import's outcome and how the worker stopped. Raises RuntimeError
    when the broker cannot reach another process (the test settings' ``memory://``), the worker does
    not start, or a job does not finish in ``timeout``.
    """
    from config.celery import app

    broker = str(settings.CELERY_BROKER_URL)
    if broker.startswith("memory") or app.conf.task_always_eager:
        raise RuntimeError(
            f"the worker part needs a broker shared between processes (settings have {broker!r}); "
            "run it with config.settings.local (filesystem://) or CELERY_BROKER_URL=redis://…"
        )
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / "worker.log"
    queue = f"bench-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    node = f"{queue}@{socket.gethostname()}"
    with log.open("wb") as fh:
        proc = subprocess.Popen(  # noqa: S603 — our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "-Q",
                queue,
                "-n",
                node,
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
            ],
            cwd=REPO_ROOT,
            env=child_env(),
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    try:
        t = time.perf_counter()
        _wait_log(proc, log, lambda s: " ready." in s, 120, "the worker to be ready")
        ready_s = time.perf_counter() - t
        rss_ready = proc_status_kb(proc.pid, "VmRSS")
        names = [job["task"] for job in settings.CELERY_BEAT_SCHEDULE.values()]
        ids: dict[str, str] = {}
        for _ in range(rounds):
            for name in names:
                ids[app.send_task(name, queue=queue).id] = name

        def finished(text: str) -> bool:
            return len({m["id"] for m in DONE.finditer(text) if m["id"] in ids}) == len(ids)

        text = _wait_log(proc, log, finished, timeout, f"{len(ids)} jobs")
        jobs_s = time.perf_counter() - t - ready_s
        peak_jobs = proc_status_kb(proc.pid, "VmHWM")
        imports = []
        if import_rows and import_user is not None:
            imports = _imports_run(app, proc, log, queue, import_rows, import_user, timeout)
            text = log.read_text(errors="replace")
        peak = proc_status_kb(proc.pid, "VmHWM")
        rss = proc_status_kb(proc.pid, "VmRSS")
    finally:
        stop = process_stop(proc)
        _broker_forget(app, queue, node)
    runs: dict[str, list[float]] = {}
    failed: list[str] = []
    for m in DONE.finditer(text):
        if m["id"] not in ids:
            continue
        if m["how"] != "succeeded":
            failed.append(f"{m['name']} {m['how']}")
        elif m["s"]:
            runs.setdefault(m["name"], []).append(round(float(m["s"]), 3))
    failed += [
        f"import {i['format']}: job {i['status']}, {i['created']} created" for i in imports if not i["ok"]
    ]
    result = {
        "command": f"celery -A config worker --pool=solo -Q {queue}",
        "broker": broker.split("://", 1)[0] + "://",
        "settings": str(settings.SETTINGS_MODULE),
        "ready_s": round(ready_s, 1),
        "rss_ready_mb": _mb(rss_ready),
        "tasks": len(ids),
        "tasks_failed": failed,
        "jobs_wall_s": round(jobs_s, 1),
        "task_seconds": runs,
        "peak_rss_jobs_mb": _mb(peak_jobs),
        "imports": imports,
        "peak_rss_mb": _mb(peak),
        "rss_after_mb": _mb(rss),
        "memory_method": "/proc/<pid>/status VmHWM (peak) and VmRSS",
        "log": str(log),
        **stop,
    }
    out(
        f"  {'worker memory':<32} peak {result['peak_rss_mb']} MB, now {result['rss_after_mb']} MB "
        f"(ready: {result['rss_ready_mb']} MB; after {len(ids)} periodic jobs in {result['jobs_wall_s']} s: "
        f"{result['peak_rss_jobs_mb']} MB)"
    )
    for i in imports:
        out(
            f"  {'worker: import ' + i['format']:<32} {i['rows']:,} rows in {i['seconds']} s, "
            f"job {i['status']}, peak {i['peak_rss_mb']} MB (from {i['rss_before_mb']} MB)"
        )
    return result


def _imports_run(
    app: Any,
    proc: subprocess.Popen[bytes],
    log: Path,
    queue: str,
    rows: int,
    user: User,
    timeout: float,
) -> list[dict[str, Any]]:
    """A CSV and then an XLSX of ``rows`` complaint rows, each stored as an import job here and run by
    the worker (its task sent to the worker's queue, as an upload's is sent to the default one); the
    outcome of each."""
    from closeloop.core.bench_import import csv_bytes, import_rows_make, xlsx_bytes
    from closeloop.intake.importing.service import import_job_create
    from closeloop.intake.models import ImportJob, ImportKind, ImportStatus

    headers, data_rows = import_rows_make(rows, seed=23)
    done: list[dict[str, Any]] = []
    for fmt, make in (("csv", csv_bytes), ("xlsx", xlsx_bytes)):
        job = import_job_create(
            user=user,
            kind=ImportKind.COMPLAINTS,
            name=f"bench-worker-{rows}.{fmt}",
            data=make(headers, data_rows),
            queue=False,
        )
        # Each import's own peak: the worker's high-water mark is reset to what it holds now.
        before = proc_status_kb(proc.pid, "VmRSS")
        reset = peak_rss_reset(proc.pid)
        task = app.send_task("closeloop.intake.tasks.import_job_run_task", args=[job.pk], queue=queue)
        t = time.perf_counter()

        def finished(text: str, task_id: str = task.id) -> bool:
            return any(m["id"] == task_id for m in DONE.finditer(text))

        _wait_log(proc, log, finished, timeout, f"the {fmt} import")
        job = ImportJob.objects.get(pk=job.pk)
        done.append(
            {
                "format": fmt,
                "rows": rows,
                "seconds": round(time.perf_counter() - t, 1),
                "status": job.status,
                "created": job.created_count,
                "rss_before_mb": _mb(before),
                "peak_rss_mb": _mb(proc_status_kb(proc.pid, "VmHWM")) if reset else None,
                "ok": job.status == ImportStatus.DONE and job.created_count == rows and not job.error_count,
            }
        )
        if job.file:
            job.file.delete(save=True)
    return done
