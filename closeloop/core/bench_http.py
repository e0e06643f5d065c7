"""The HTTP part of ``make bench``: ``POST /api/v1/complaints`` from concurrent clients over real
sockets against gunicorn, started here as production starts it.

gunicorn runs ``config/gunicorn.conf.py`` (sync workers, as many as its default for this machine and
database — ``cores + 1`` beside the database — unless ``CLOSELOOP_WEB_WORKERS`` or ``workers`` says
otherwise) with ``config.settings.production`` — the
settings the targets are set for (DEBUG off, persistent connections) — on this process's database,
broker and media folder, and a throw-away secret key. Each client is a thread with one
``http.client`` connection (re-opened when a sync worker closes it, as it does after every answer),
sending ``X-Forwarded-Proto: https`` as the TLS-terminating proxy would. Latency is measured on the
client, so it includes the loopback network, gunicorn's accept/parse and the client's own share of the
two cores.
"""

from __future__ import annotations

import http.client
import json
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from closeloop.accounts.models import User
from closeloop.accounts.services import api_token_create, api_token_revoke
from closeloop.complaints.models import Complaint
from closeloop.core.bench_env import (
    REPO_ROOT,
    child_env,
    cpu_delta,
    cpu_per_unit,
    cpu_text,
    database_server_pid,
    free_port,
    load_average,
    log_tail,
    percentiles,
    process_stop,
    tree_cpu_seconds,
)
from config.env import web_workers

PATH = "/api/v1/complaints"
SETTINGS = "config.settings.production"
WARMUP_PER_CLIENT = 5  # the first answers of each worker fill the API schema and template caches
TEXTS = [
    ("齿轮泵漏油", "运行两小时后轴封漏油，现场已停机"),
    ("变速箱异响", "负载运行时变速箱有周期性异响"),
    ("螺丝刀杆生锈", "收货后发现杆部生锈约50支"),
    ("包装破损", "外箱压扁，内衬缺失，部分产品划伤"),
    ("尺寸超差", "来料抽检孔径偏大0.05mm"),
    ("标签错误", "外箱标签批次与实物不符"),
]


def _server_start(port: int, workers: int | None, log: Path) -> subprocess.Popen[bytes]:
    overrides = {
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "CLOSELOOP_SECRET_KEY": secrets.token_urlsafe(48),
        "CLOSELOOP_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "CLOSELOOP_BIND": f"127.0.0.1:{port}",
    }
    if workers:
        overrides["CLOSELOOP_WEB_WORKERS"] = str(workers)
    with log.open("wb") as fh:
        return subprocess.Popen(  # noqa: S603 — our own interpreter and arguments
            # No control socket: its default path (~/.gunicorn/gunicorn.ctl) is shared by every
            # gunicorn of the user, so a bench (or test) server would take over another's.
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "config/gunicorn.conf.py",
                "--no-control-socket",
                "config.wsgi",
            ],
            cwd=REPO_ROOT,
            env=child_env(**overrides),
            stdout=fh,
            stderr=subprocess.STDOUT,
        )


def _wait_ready(proc: subprocess.Popen[bytes], port: int, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}:\n{log_tail(log)}")
        # A long timeout: the listening socket accepts at once, the answer waits for a booted worker.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request("GET", "/api/v1/openapi.json", headers={"X-Forwarded-Proto": "https"})
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
        finally:
            conn.close()
    raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s:\n{log_tail(log)}")


class _Client(threading.Thread):
    """One client: ``warmup`` requests, then (after every client is warm) requests until the deadline."""

    def __init__(self, n: int, port: int, headers: dict[str, str], customer: str, run: dict[str, Any]):
        super().__init__(name=f"bench-http-{n}", daemon=True)
        self.n, self.port, self.headers, self.customer, self.run_state = n, port, headers, customer, run
        self.latencies_ms: list[float] = []
        self.ok = self.warm_ok = 0
        self.errors: list[str] = []
        self.ended = 0.0

    def _post(self, conn: http.client.HTTPConnection, i: int) -> tuple[int, bytes]:
        title, description = TEXTS[(self.n + i) % len(TEXTS)]
        body = json.dumps(
            {"customer": self.customer, "title": f"{title} {self.n}-{i}", "description": description},
            ensure_ascii=False,
        ).encode()
        conn.request("POST", PATH, body=body, headers=self.headers)
        resp = conn.getresponse()  # closes the socket itself when the server said "Connection: close"
        return resp.status, resp.read()

    def _one(self, conn: http.client.HTTPConnection, i: int) -> bool:
        try:
            status, body = self._post(conn, i)
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            self.errors.append(f"{type(exc).__name__}: {exc}")
            return False
        if status != 201:
            self.errors.append(f"HTTP {status}: {body[:200]!r}")
            return False
        return True

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        barrier: threading.Barrier = self.run_state["barrier"]
        try:
            for i in range(WARMUP_PER_CLIENT):
                self.warm_ok += self._one(conn, i)
            barrier.wait(timeout=300)
            deadline = self.run_state["start"] + self.run_state["seconds"]
            i = WARMUP_PER_CLIENT
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                if self._one(conn, i):
                    self.latencies_ms.append((time.perf_counter() - t) * 1000)
                    self.ok += 1
                i += 1
        except threading.BrokenBarrierError:
            self.errors.append("another client failed before the measured run")
        finally:
            self.ended = time.perf_counter()
            conn.close()


def http_create_measure(
    *,
    user: User,
    customer: str,
    seconds: float,
    clients: int,
    workers: int | None,
    log_dir: Path,
    out: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Start gunicorn, create complaints from ``clients`` threads for ``seconds`` after a warm-up, stop
    gunicorn; return throughput, client-side latency percentiles, errors and the rows that landed.

    ``errors`` lists every failed request (must be empty for a valid run; the caller fails loudly) and
    ``created_in_db`` must equal ``warmup_ok + requests``. Raises RuntimeError if gunicorn does not
    start. The API token made for the run is revoked afterwards.
    """
    port = free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / "gunicorn.log"
    token, raw = api_token_create(user=user, name="bench-http")
    before = Complaint.objects.count()
    db_pid = database_server_pid()
    proc = _server_start(port, workers, log)
    try:
        _wait_ready(proc, port, log)
        headers = {
            "Authorization": f"Bearer {raw}",
            "Content-Type": "application/json",
            "X-Forwarded-Proto": "https",
            "Connection": "keep-alive",
        }
        state: dict[str, Any] = {"seconds": seconds}

        def started() -> None:
            state.update(
                start=time.perf_counter(),
                server_cpu=tree_cpu_seconds(proc.pid),
                database_cpu=tree_cpu_seconds(db_pid) if db_pid else None,
                client_cpu=time.process_time(),
                load=load_average(),
            )

        state["barrier"] = threading.Barrier(clients, action=started)
        threads = [_Client(n, port, headers, customer, state) for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=seconds + 600)
        elapsed = max(t.ended for t in threads) - state.get("start", time.perf_counter())
        server_cpu, client_cpu = tree_cpu_seconds(proc.pid), time.process_time()
        database_cpu = tree_cpu_seconds(db_pid) if db_pid else None
        load = load_average()
    finally:
        stop = process_stop(proc)
        api_token_revoke(user=user, token_id=token.pk)
    latencies = [x for t in threads for x in t.latencies_ms]
    errors = [e for t in threads for e in t.errors]
    ok = sum(t.ok for t in threads)
    warm = sum(t.warm_ok for t in threads)
    cpu: dict[str, Any] = {
        "cpu_measured": "server: gunicorn master and workers; database: the PostgreSQL server's processes "
        "(when on this machine); client: this process's client threads"
    }
    # Per request, independent of what else the machine runs (the wall-clock figures are not).
    spent = {
        "server": cpu_delta(state.get("server_cpu"), server_cpu),
        "database": cpu_delta(state.get("database_cpu"), database_cpu),
        "client": cpu_delta(state.get("client_cpu"), client_cpu),
    }
    for name, used in spent.items():
        if ok and used is not None:
            cpu[f"{name}_cpu_ms_per_request"] = round(used * 1000 / ok, 2)
    cpu["cpu_per_request"] = cpu_per_unit(
        units=ok, app_s=spent["server"], database_s=spent["database"], client_s=spent["client"]
    )
    cpu["load_average_before_after"] = [state.get("load"), load]
    spawned = sum("Booting worker" in line for line in log.read_text(errors="replace").splitlines())
    result: dict[str, Any] = {
        "clients": clients,
        "server": {
            "settings": SETTINGS,
            "config": "config/gunicorn.conf.py",
            "worker_class": "sync",
            "workers": workers or web_workers(),
            "workers_booted": spawned,
            **stop,
        },
        "seconds": round(elapsed, 2),
        "warmup_ok": warm,
        "requests": ok,
        "req_per_s": round(ok / elapsed, 1) if elapsed > 0 and ok else 0.0,
        **(percentiles(latencies) if latencies else {}),
        "errors": len(errors),
        "error_samples": errors[:5],
        "created_in_db": Complaint.objects.count() - before,
        **cpu,
        "latency_measured": "client side, per request, over the loopback network",
        "log": str(log),
    }
    out(
        f"  {'API create over HTTP':<32} {result['req_per_s']:>8.1f} req/s  "
        f"p50 {result.get('p50_ms', 0):.2f}  p95 {result.get('p95_ms', 0):.2f}  "
        f"p99 {result.get('p99_ms', 0):.2f} ms  ({clients} clients, {ok} requests, {len(errors)} errors)"
    )
    budget = result["cpu_per_request"]
    if budget:
        out(f"  {'':<32} CPU per request: {cpu_text(budget, client='clients')}")
    return result
