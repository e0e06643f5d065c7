"""Two dispatchers at the same moment on PostgreSQL, with real row locks: SKIP LOCKED hands every
delivery to exactly one of them, so each is sent exactly once."""

# ruff: noqa: F811 — the receiver fixtures are imported by name and requested as arguments

from __future__ import annotations

import pytest

from closeloop.notifications.delivery import deliveries_dispatch
from closeloop.notifications.models import Delivery
from closeloop.notifications.tests.outbox_builders import advance_past_retries, assign, mine, person
from closeloop.notifications.tests.receivers import smtp  # noqa: F401  (fixture)
from closeloop.testing.concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


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

    results, errors = race(_drain, _drain)

    assert errors == []
    assert sum(results) == 24  # every row claimed once in all, whichever dispatcher got it
    assert {(d.status, d.attempts) for d in Delivery.objects.all()} == {("sent", 2)}
    assert sorted(smtp.message_ids()) == sorted(f"<{d.event_id}@closeloop>" for d in rows)
