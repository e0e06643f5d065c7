"""Never lost, never doubled — with a real Celery worker process on the real Redis and PostgreSQL.

The SMTP server (aiosmtpd, on 127.0.0.1) kills the worker with SIGKILL the moment it has accepted the
first message: the worker sent it but never recorded it. After its claim expires, a new worker sends
it again with the same Message-ID, so the receiver can drop the copy, and the outbox row ends sent.
Runs in the PostgreSQL leg of .ci/run (CLOSELOOP_REDIS_URL set).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from closeloop.core.tests.test_production_stack import ROOT, _prod_env, redis_url  # noqa: F401
from closeloop.notifications.tests.receivers import SmtpReceiver, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class KillingSmtp(SmtpReceiver):
    """Accepts every message; after recording the first one, kills the worker process."""

    def __init__(self) -> None:
        super().__init__()
        self.victim: subprocess.Popen[bytes] | None = None
        self.killed = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        answer = await super().handle_DATA(server, session, envelope)
        if self.victim is not None and not self.killed.is_set():
            os.kill(self.victim.pid, signal.SIGKILL)
            self.killed.set()
        return answer


def _worker(env: dict[str, str], name: str, log: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "-n",
            name,
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_worker_killed_after_sending_resends_with_the_same_message_id(
    tmp_path,
    qm,
    qe,
    redis_url,  # noqa: F811
):
    from closeloop.notifications.models import Delivery
    from closeloop.notifications.services import notification_send
    from config.celery import app

    receiver = KillingSmtp()
    port = free_port()
    controller = Controller(receiver, hostname="127.0.0.1", port=port)
    controller.start()
    env = _prod_env(tmp_path)
    env.update(
        {
            "CLOSELOOP_EMAIL_URL": f"smtp://127.0.0.1:{port}",
            "CLOSELOOP_DELIVERY_LEASE_SECONDS": "5",
            # A short lease needs a short send timeout: a row is not started with less than two left.
            "CLOSELOOP_WEBHOOK_TIMEOUT_SECONDS": "1",
        }
    )
    old = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = redis_url
    app._after_fork()  # drop the memory:// producer pool earlier eager tests opened
    log_path = tmp_path / "workers.log"
    log = log_path.open("ab")
    first = _worker(env, f"crash-a-{os.getpid()}@%h", log)
    receiver.victim = first
    second = None
    try:
        qe.email = "qe@example.com"
        qe.save()
        # Committed (transactional test): the row and its outbox delivery exist; on commit the kick
        # queues the dispatch on Redis, where the first worker takes it.
        notification_send(
            verb="step_approved", recipients={qe: "team_member"}, actor=qm, data={"case": "8D-9"}
        )
        row = Delivery.objects.get()
        _wait(receiver.killed.is_set, 60, "the first worker to send and be killed")
        first.wait(timeout=10)
        row.refresh_from_db()
        assert (row.status, row.sent_at) == ("sending", None)  # sent, but never recorded
        time.sleep(5.5)  # the dead worker's claim expires
        second = _worker(env, f"crash-b-{os.getpid()}@%h", log)
        from closeloop.notifications.tasks import deliveries_dispatch

        deliveries_dispatch.delay()
        _wait(lambda: Delivery.objects.get(pk=row.pk).status == "sent", 60, "the second worker to resend")
        ids = receiver.message_ids()
        assert len(ids) == 2 and ids[0] == ids[1] == f"<{row.event_id}@closeloop>"
        row.refresh_from_db()
        assert row.attempts == 2 and row.sent_at is not None
    except AssertionError:
        log.flush()
        print(log_path.read_text(errors="replace")[-6000:])  # the workers' own account, on failure
        raise
    finally:
        log.close()
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        app.conf.task_always_eager, app.conf.broker_url = old
        app._after_fork()
        with app.connection_for_write(redis_url) as conn:
            conn.default_channel.queue_purge("celery")
        controller.stop()
