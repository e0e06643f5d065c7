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
import threading
import time
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from closeloop.core.tests.test_production_stack import _prod_env, redis_url  # noqa: F401
from closeloop.core.tests.worker_processes import wait_for, worker_processes
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


def test_a_worker_killed_after_sending_resends_with_the_same_message_id(
    tmp_path,
    qm,
    qe,
    redis_url,  # noqa: F811
):
    from closeloop.notifications.models import Delivery
    from closeloop.notifications.services import notification_send

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
    try:
        with worker_processes(redis_url, env, tmp_path / "workers.log") as start_worker:
            first = start_worker(f"crash-a-{os.getpid()}@%h")
            receiver.victim = first
            qe.email = "qe@example.com"
            qe.save()
            # Committed (transactional test): the row and its outbox delivery exist; on commit the kick
            # queues the dispatch on Redis, where the first worker takes it.
            notification_send(
                verb="step_approved", recipients={qe: "team_member"}, actor=qm, data={"case": "8D-9"}
            )
            row = Delivery.objects.get()
            wait_for(receiver.killed.is_set, 60, "the first worker to send and be killed")
            first.wait(timeout=10)
            row.refresh_from_db()
            assert (row.status, row.sent_at) == ("sending", None)  # sent, but never recorded
            time.sleep(5.5)  # the dead worker's claim expires
            start_worker(f"crash-b-{os.getpid()}@%h")
            from closeloop.notifications.tasks import deliveries_dispatch

            deliveries_dispatch.delay()
            wait_for(
                lambda: Delivery.objects.get(pk=row.pk).status == "sent", 60, "the second worker to resend"
            )
            ids = receiver.message_ids()
            assert len(ids) == 2 and ids[0] == ids[1] == f"<{row.event_id}@closeloop>"
            row.refresh_from_db()
            assert row.attempts == 2 and row.sent_at is not None
    finally:
        controller.stop()
