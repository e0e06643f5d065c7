"""The production stack against the real services: gunicorn with the production settings on
PostgreSQL, and a Celery worker on Redis processing a queued import. Runs in the PostgreSQL leg of
.ci/run (CLOSELOOP_REDIS_URL set); skipped on SQLite."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from openpyxl import Workbook

from config import env as E

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(settings.BASE_DIR)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prod_env(tmp_path: Path) -> dict[str, str]:
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "CLOSELOOP_", "DATABASE_", "CELERY_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DATABASE_URL": url,
            "CLOSELOOP_SECRET_KEY": "ci-" + "x" * 60,
            "CLOSELOOP_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CLOSELOOP_MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "CELERY_BROKER_URL": E.REDIS_URL,
            "CLOSELOOP_WEB_WORKERS": "2",
        }
    )
    return env


@pytest.fixture
def redis_url() -> str:
    if not E.REDIS_URL:
        if E.REQUIRE_POSTGRES:
            pytest.fail("CLOSELOOP_REDIS_URL must be set for the production-stack tests in CI.")
        pytest.skip("set CLOSELOOP_REDIS_URL to run against Redis")
    return E.REDIS_URL


def _wait_http(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            # As the TLS-terminating proxy would; without it production settings redirect to https.
            req = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})  # noqa: S310
            urllib.request.urlopen(req, timeout=2)  # noqa: S310 — loopback only
            return
        except urllib.error.HTTPError:
            return  # the server answered
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer")


def _request(url: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url,
        data=data,
        method="POST" if body is not None else "GET",  # noqa: S310
        headers={"Content-Type": "application/json", "X-Forwarded-Proto": "https", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 — loopback only
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def test_gunicorn_serves_the_api_with_production_settings(tmp_path, agent, customer, redis_url):
    port = _free_port()
    env = _prod_env(tmp_path)
    env["CLOSELOOP_BIND"] = f"127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        _wait_http(f"{base}/openapi.json")
        # A profile-page token (the test settings hash passwords with MD5, which production refuses).
        from closeloop.accounts.services import api_token_create

        auth = {"Authorization": f"Bearer {api_token_create(user=agent, name='ci')[1]}"}
        status, body = _request(
            f"{base}/complaints",
            {"customer": "C001", "title": "生产环境", "description": "d"},
            {**auth, "Idempotency-Key": "prod-1"},
        )
        assert status == 201 and body["number"].startswith("KS-")
        again, body2 = _request(
            f"{base}/complaints",
            {"customer": "C001", "title": "生产环境", "description": "d"},
            {**auth, "Idempotency-Key": "prod-1"},
        )
        assert again == 201 and body2["number"] == body["number"]
        status, body = _request(
            f"{base}/complaints?q=生产环境".replace("生产环境", "%E7%94%9F%E4%BA%A7%E7%8E%AF%E5%A2%83"),
            headers=auth,
        )
        assert status == 200 and body["count"] == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def test_celery_worker_on_redis_runs_a_queued_import(
    tmp_path, agent, customer, redis_url, django_capture_on_commit_callbacks
):
    from closeloop.complaints.models import Complaint
    from closeloop.intake.importing.service import import_job_create
    from closeloop.intake.models import ImportJob
    from config.celery import app

    env = _prod_env(tmp_path)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=INFO",
            "-n",
            f"ci-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    old = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = redis_url
    # Eager calls in earlier tests opened a producer pool on the memory:// broker; drop it, as Celery
    # itself does after a fork, so this test's message really goes to Redis.
    app._after_fork()
    try:
        wb = Workbook()
        for row in [
            ["客户编码", "标题", "问题描述"],
            ["C001", "队列导入", "由 Redis 上的 worker 处理"],
            ["NOPE", "x", "y"],
        ]:
            wb.active.append(row)
        buf = io.BytesIO()
        wb.save(buf)
        job = import_job_create(user=agent, kind="complaints", name="q.xlsx", data=buf.getvalue())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.status in ("done", "failed"):
                break
            time.sleep(0.5)
        assert job.status == "done", (job.status, job.failure)
        assert (job.created_count, job.error_count) == (1, 1)
        assert Complaint.objects.filter(title="队列导入").count() == 1
        assert ImportJob.objects.count() == 1
    finally:
        app.conf.task_always_eager, app.conf.broker_url = old
        app._after_fork()
        with app.connection_for_write(redis_url) as conn:
            conn.default_channel.queue_purge("celery")
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
