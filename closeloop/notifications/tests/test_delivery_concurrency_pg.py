"""Two dispatchers at the same moment on PostgreSQL, with real row locks: SKIP LOCKED hands every
delivery to exactly one of them, so each is sent exactly once."""

# ruff: noqa: F811 — the receiver fixtures are imported by name and requested as arguments

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from closeloop.notifications.delivery import deliveries_dispatch
from closeloop.notifications.models import Delivery
from closeloop.notifications.tests.outbox_builders import advance_past_retries, assign, mine, person
from closeloop.notifications.tests.receivers import smtp  # noqa: F401  (fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(*calls: Callable[[], Any]) -> tuple[list[Any], list[BaseException]]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            out = call()
            with lock:
                results.append(out)
        except BaseException as exc:  # noqa: BLE001 — inspected by the test
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results, errors


def _drain() -> int:
    """Dispatch small batches until nothing is left for this dispatcher; return how many it claimed."""
    claimed = 0
    while n := deliveries_dispatch(limit=3):
        claimed += n
    return claimed


def test_two_dispatchers_at_once_send_each_delivery_exactly_once(smtp, complaint, qm):
    people = [person(f"p{i:02d}") for i in range(24)]
    # The commit's kick dispatches at once (eager in tests) while the server refuses: all 24 wait for
    # their retry, which the two racing dispatchers then share.
    smtp.refuse = "451 4.3.0 Try again later"
    assign(complaint, qm, *people)
    rows = mine()
    assert len(rows) == 24
    assert {(d.status, d.attempts) for d in rows} == {("pending", 1)}
    smtp.refuse = None
    advance_past_retries()

    results, errors = _race(_drain, _drain)

    assert errors == []
    assert sum(results) == 24  # every row claimed once in all, whichever dispatcher got it
    assert {(d.status, d.attempts) for d in Delivery.objects.all()} == {("sent", 2)}
    assert sorted(smtp.message_ids()) == sorted(f"<{d.event_id}@closeloop>" for d in rows)
