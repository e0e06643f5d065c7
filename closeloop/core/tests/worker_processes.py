"""Real Celery worker processes on the real Redis, for the tests that kill one (SIGKILL) mid-task and
check that another finishes the work: started with the production settings, their log printed when the
test fails, and everything they leave behind on the broker cleared afterwards."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from closeloop.core.tests.test_production_stack import ROOT

StartWorker = Callable[[str], "subprocess.Popen[bytes]"]


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def worker_processes(redis_url: str, env: dict[str, str], log_path: Path) -> Iterator[StartWorker]:
    """Point this process's Celery app at ``redis_url`` (tasks sent, not run eagerly) and give a
    function that starts a worker process (solo pool, named as given) with ``env``. On exit every worker
    still running is stopped, the app is put back, and the queue and the unacknowledged messages of a
    killed worker are deleted (a later worker on this Redis would get them back after the visibility
    timeout). On an AssertionError the workers' log is printed first."""
    from config.celery import app

    old = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = redis_url
    app._after_fork()  # drop the memory:// producer pool earlier eager tests opened
    log = log_path.open("ab")
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO"]
        proc = subprocess.Popen(
            [*command, "-n", name], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        started.append(proc)
        return proc

    try:
        yield start
    except AssertionError:
        log.flush()
        print(log_path.read_text(errors="replace")[-6000:])  # the workers' own account, on failure
        raise
    finally:
        log.close()
        for proc in started:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        app.conf.task_always_eager, app.conf.broker_url = old
        app._after_fork()
        with app.connection_for_write(redis_url) as conn:
            conn.default_channel.queue_purge("celery")
            conn.default_channel.client.delete("unacked", "unacked_index")
