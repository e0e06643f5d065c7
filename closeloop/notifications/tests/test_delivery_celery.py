"""End to end through a real Celery worker and Redis: a committed notification's email is sent by the
worker that the commit woke up. Runs when CLOSELOOP_REDIS_URL is set (CI sets it); on SQLite (make test
with Redis) and PostgreSQL (.ci/run) alike."""

# ruff: noqa: F811 — the receiver fixtures are imported by name and requested as arguments

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from celery import signals
from celery.contrib.testing.worker import start_worker
from django.db import connections

from closeloop.notifications.models import Channel, Delivery
from closeloop.notifications.tests.outbox_builders import person
from closeloop.notifications.tests.receivers import smtp  # noqa: F401  (fixture)
from config import env as E

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not E.REDIS_URL,
        reason="needs Redis: set CLOSELOOP_REDIS_URL (CI sets redis://127.0.0.1:6379/15)",
    ),
]

WAIT_SECONDS = 30


class TaskCounter:
    """Counts tasks the worker finished; the test waits on it instead of polling the database (on
    SQLite's shared in-memory test database, reading while the worker writes could lock a table)."""

    def __init__(self) -> None:
        self.done = 0
        self._cond = threading.Condition()

    def finished(self, **kwargs: Any) -> None:
        connections.close_all()  # the worker thread's own connections; none may outlive the test
        with self._cond:
            self.done += 1
            self._cond.notify_all()

    def wait_for(self, count: int) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.done >= count, timeout=WAIT_SECONDS)


def _quiet_logging(**kwargs: Any) -> None:
    """Answering ``setup_logging`` keeps the worker from reconfiguring the test run's root logger."""


def _reset_connections(app: Any) -> None:
    # The app keeps the connection and producer pools of the broker it first used; forget them (as
    # after a fork) so the new broker URL takes effect. Not closed: kombu shares the pools per URL.
    app._after_fork()


@pytest.fixture
def redis_worker() -> Iterator[TaskCounter]:
    from config.celery import app

    keys = ("broker_url", "task_always_eager", "result_backend", "broker_transport_options")
    saved = {k: app.conf[k] for k in keys}
    counter = TaskCounter()
    signals.setup_logging.connect(_quiet_logging)
    signals.task_postrun.connect(counter.finished)
    app.conf.update(
        broker_url=E.REDIS_URL, task_always_eager=False, result_backend=None, broker_transport_options={}
    )
    _reset_connections(app)
    try:
        app.control.purge()  # nothing left over from an earlier run
        with start_worker(
            app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=30
        ):
            yield counter
    finally:
        signals.task_postrun.disconnect(counter.finished)
        signals.setup_logging.disconnect(_quiet_logging)
        app.conf.update(saved)
        _reset_connections(app)


def test_a_committed_notification_is_mailed_by_the_worker_through_redis(smtp, redis_worker, qm):
    from closeloop.notifications.services import notification_send
    from closeloop.notifications.tasks import deliveries_dispatch

    zhang = person("zhang")
    # Outside any transaction: the row commits at once and its commit queues the dispatch (the kick).
    notification_send(
        verb="step_approved",
        recipients={zhang: "approver"},
        actor=qm,
        investigation_id=7,
        data={"case": "8D-2026-0007", "step": "D4"},
    )
    deliveries_dispatch.delay()  # and the periodic dispatch's way in, which then finds nothing to do

    assert redis_worker.wait_for(2), "the worker did not run both dispatches within 30 s"
    assert smtp.got_message.is_set()
    row = Delivery.objects.get(channel=Channel.EMAIL)
    assert (row.status, row.attempts) == ("sent", 1)
    (message,) = smtp.messages
    assert message["Message-ID"] == f"<{row.event_id}@closeloop>"
    assert "8D-2026-0007" in message["Subject"]
