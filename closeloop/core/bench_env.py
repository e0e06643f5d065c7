"""Shared pieces of ``make bench``: latency statistics, the machine and database description, and what
the parts that start real processes (gunicorn, a Celery worker) need to give them the same database.

Nothing here is timed or asserted; it only measures and describes.
"""

from __future__ import annotations

import math
import os
import platform
import resource
import signal
import socket
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection
from django.db.models import Model

from config import env as E

# The repository itself (manage.py, config/): where child processes run. Not settings.BASE_DIR, which
# tests point elsewhere to keep results out of the working tree.
REPO_ROOT: Path = E.BASE_DIR


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 (nearest rank), mean and max of ``samples_ms``, rounded to 0.01 ms."""
    ordered = sorted(samples_ms)
    if not ordered:
        raise ValueError("no samples")

    def rank(share: float) -> float:
        return ordered[max(math.ceil(share * len(ordered)), 1) - 1]

    return {
        "p50_ms": round(rank(0.50), 2),
        "p95_ms": round(rank(0.95), 2),
        "p99_ms": round(rank(0.99), 2),
        "mean_ms": round(statistics.fmean(ordered), 2),
        "max_ms": round(ordered[-1], 2),
    }


def timed(fn: Callable[[], Any], runs: int) -> dict[str, float]:
    """Call ``fn`` once to warm up, then ``runs`` times; p50/p95 of the wall time in ms (p95 is the
    nearest rank, as everywhere in the bench)."""
    fn()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    p = percentiles(samples)
    return {"p50_ms": p["p50_ms"], "p95_ms": p["p95_ms"], "runs": runs}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_url() -> str:
    """A DATABASE_URL that opens, from another process, the database this process is connected to
    (which differs from the environment's under pytest). Raises RuntimeError for in-memory SQLite,
    which no other process can see."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(db["NAME"])
        if name.startswith("file:") or name == ":memory:" or "mode=memory" in name:
            raise RuntimeError(
                "this part starts other processes, which cannot open an in-memory SQLite database; "
                "use a file (DATABASE_URL=sqlite:////path/db.sqlite3) or PostgreSQL"
            )
        return f"sqlite:///{Path(name).resolve()}"
    if connection.vendor != "postgresql":
        raise RuntimeError(f"unsupported database {connection.vendor}")
    auth = quote(str(db.get("USER") or "postgres"), safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(str(db["PASSWORD"]), safe="")
    # An empty HOST means the local socket; django-environ reads a percent-encoded path as one.
    host = str(db.get("HOST") or "") or quote("/var/run/postgresql", safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}@{host}{port}/{quote(str(db['NAME']), safe='')}"


def child_env(**overrides: str) -> dict[str, str]:
    """The environment for a child process: this one's (so PATH, CLOSELOOP_* and the rest carry over)
    with this process's database, broker and media folder made explicit, then ``overrides``.

    The values come from the running settings, not from the environment, so a child of a test (whose
    settings were changed in-process) sees what the test sees."""
    env = dict(os.environ)  # passed through to the child, not read as settings
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": str(settings.SETTINGS_MODULE),
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": str(settings.CELERY_BROKER_URL),
            "CLOSELOOP_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(overrides)
    return env


def proc_status_kb(pid: int | str, key: str) -> int | None:
    """A ``kB`` field (VmRSS, VmHWM, …) of /proc/<pid>/status; None where /proc is unavailable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _stat_fields(pid: int | str) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; the fields after it are plain.
    return raw.rsplit(")", 1)[1].split()


def tree_cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) used so far by process ``pid``, its children that exited (reaped:
    cutime/cstime) and its live children — e.g. a gunicorn master and all its workers, including
    workers already replaced. None where /proc is unavailable."""
    own = _stat_fields(pid)
    if own is None:
        return None
    # After ")": state is index 0, so utime/stime/cutime/cstime (fields 14-17) are indexes 11-14.
    ticks = sum(int(x) for x in own[11:15])
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(entry.name)
        if fields and fields[1] == str(pid):  # index 1 is the parent pid
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def database_server_pid() -> int | None:
    """The PostgreSQL server (postmaster) behind this connection, when it runs on this machine and
    /proc shows it: the parent of this connection's backend, both named ``postgres``. None for SQLite
    (its work is done inside the app's own processes), a server elsewhere, or no /proc."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        backend = int(cur.fetchone()[0])
    # A backend pid of a server elsewhere may name some unrelated local process: check both names.
    if _comm(backend) != "postgres":
        return None
    fields = _stat_fields(backend)
    parent = int(fields[1]) if fields else 0
    return parent if parent > 1 and _comm(parent) == "postgres" else None


def _comm(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return None


def cpu_delta(before: float | None, after: float | None) -> float | None:
    """``after - before`` of two CPU readings, or None when either was not taken (no /proc, SQLite)."""
    return after - before if before is not None and after is not None else None


def cpu_per_unit(
    *, units: int, app_s: float | None, database_s: float | None, client_s: float | None = None
) -> dict[str, Any]:
    """CPU milliseconds per unit (request, row) spent by the app's processes, the database server and
    the load's client, their sum, and the rate the machine's cores would allow if that CPU were all
    they had to give and every core were kept busy: ``cores × 1000 / total ms`` — an upper bound of
    the rate for this much work on this machine, whatever the code's concurrency. ``database_s`` None
    (SQLite, or a server not on this machine) leaves the database's share out of the sum; the result
    says so. Empty when ``units`` is 0 or the app's CPU was not measured."""
    if units <= 0 or app_s is None:
        return {}
    parts = {"app": app_s, "database": database_s, "client": client_s}
    out: dict[str, Any] = {
        f"{name}_cpu_ms": round(seconds * 1000 / units, 3)
        for name, seconds in parts.items()
        if seconds is not None
    }
    total_ms = sum(seconds for seconds in parts.values() if seconds is not None) * 1000 / units
    cores = os.cpu_count() or 1
    out["cpu_ms"] = round(total_ms, 3)
    out["cores"] = cores
    out["cpu_bound_per_s"] = round(cores * 1000 / total_ms, 1) if total_ms > 0 else None
    out["database_cpu_counted"] = database_s is not None
    return out


def cpu_text(budget: dict[str, Any], *, app: str = "gunicorn", client: str = "") -> str:
    """``cpu_per_unit``'s figures as one line: each share, the sum, and the rate the cores allow."""
    shares = [f"{app} {budget['app_cpu_ms']:.2f}"]
    if budget["database_cpu_counted"]:
        shares.append(f"PostgreSQL {budget['database_cpu_ms']:.2f}")
    if client and "client_cpu_ms" in budget:
        shares.append(f"{client} {budget['client_cpu_ms']:.2f}")
    text = " + ".join(shares) + f" = {budget['cpu_ms']:.2f} ms"
    if budget.get("cpu_bound_per_s"):
        text += f"; {budget['cores']} cores allow at most {budget['cpu_bound_per_s']:,.0f}/s at that cost"
    if not budget["database_cpu_counted"]:
        text += " (no database server counted: SQLite works inside the app, or the server is elsewhere)"
    return text


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages (other work on a shared machine shows here)."""
    return [round(x, 2) for x in os.getloadavg()]


def peak_rss_reset(pid: int | str = "self") -> bool:
    """Reset the VmHWM of process ``pid`` (this one by default) to its current RSS (Linux); False when
    that is not possible."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def maxrss_kb() -> int:
    """The process's lifetime peak RSS from getrusage (kB on Linux); it can never be reset."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def process_stop(proc: subprocess.Popen[bytes], *, timeout: float = 40) -> dict[str, Any]:
    """SIGTERM (a warm shutdown for gunicorn and Celery), then SIGKILL after ``timeout`` seconds.
    Returns the exit code and whether it stopped on SIGTERM with code 0."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
            return {"returncode": proc.returncode, "stopped_cleanly": False}
    return {"returncode": proc.returncode, "stopped_cleanly": proc.returncode == 0}


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _proc_field(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            name, _, value = line.partition(":")
            if name.strip() == key:
                return value.strip()
    except OSError:
        return None
    return None


def database_version() -> str:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
        else:
            cur.execute("SELECT sqlite_version()")
        return str(cur.fetchone()[0])


# The PostgreSQL server settings that decide how fast it writes and reads a large database: the bench
# records them, because the same code measures very differently on a server left at its defaults.
DATABASE_SETTINGS = (
    "shared_buffers",
    "effective_cache_size",
    "work_mem",
    "maintenance_work_mem",
    "max_wal_size",
    "checkpoint_timeout",
    "wal_buffers",
    "random_page_cost",
    "synchronous_commit",
    "fsync",
    "autovacuum",
)


def database_settings() -> dict[str, str]:
    """The PostgreSQL server's values of :data:`DATABASE_SETTINGS`, as ``SHOW`` prints them (``6GB``,
    ``15min``); empty on SQLite."""
    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cur:
        # current_setting gives SHOW's text; one statement for all of them.
        cur.execute(
            "SELECT name, current_setting(name) FROM unnest(%s::text[]) AS name", [list(DATABASE_SETTINGS)]
        )
        values = dict(cur.fetchall())
    return {name: str(values[name]) for name in DATABASE_SETTINGS}


def vacuum_analyze(models: Sequence[type[Model]] | None = None) -> float | None:
    """``VACUUM ANALYZE`` the tables of ``models`` (the whole database when None) on PostgreSQL, as
    autovacuum would within a minute or two of a bulk write: the bench measures a database as it runs,
    and the server it runs on may have autovacuum off (CI's has). Returns the seconds it took; None on
    SQLite, and inside a transaction, where PostgreSQL refuses VACUUM."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    qn = connection.ops.quote_name
    tables = ", ".join(qn(m._meta.db_table) for m in models) if models else ""
    t = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(f"VACUUM ANALYZE {tables}")  # noqa: S608 - table names from the models, quoted
    return round(time.perf_counter() - t, 2)


def machine_info() -> dict[str, Any]:
    """Cores, RAM, CPU model, OS, Python and the database (vendor, server version and, on PostgreSQL,
    the server settings in :data:`DATABASE_SETTINGS`)."""
    mem = _proc_field("/proc/meminfo", "MemTotal")
    return {
        "cores": os.cpu_count(),
        "ram_mb": round(int(mem.split()[0]) / 1024) if mem else None,
        "cpu_model": _proc_field("/proc/cpuinfo", "model name") or platform.processor() or None,
        "arch": platform.machine(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "database": connection.vendor,
        "database_version": database_version(),
        "database_settings": database_settings(),
        "load_average_at_start": load_average(),
    }
