"""Two workers scanning at the same moment, on PostgreSQL with real row locks (SKIP LOCKED).

Each thread has its own connection; a barrier releases them together. Every deadline is handled by
exactly one of them: each reminder, miss and escalation notice is written exactly once.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from closeloop.complaints.models import ComplaintEvent
from closeloop.complaints.services import complaint_assign
from closeloop.core import clock
from closeloop.notifications.models import Notification
from closeloop.sla import services
from closeloop.sla.services import scan
from closeloop.sla.tests.test_deadlines import _complaint, _triage, at
from closeloop.testing.concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _no_proposal_clock(db):
    """These tests follow the response clock of quality complaints; the 3-day handling proposal they
    also owe has its own tests (test_deadlines.py)."""
    from closeloop.sla.models import DeadlinePolicy

    DeadlinePolicy.objects.filter(target="proposal").update(is_active=False)


COMPLAINTS = 12


def _race(n: int) -> tuple[list[Any], list[BaseException]]:
    return race(*[services.deadlines_scan] * n, timeout=120)


def test_two_simultaneous_scans_write_each_notice_exactly_once(agent, qm, qe, gm, order, monkeypatch: Any):
    monkeypatch.setattr(scan, "CHUNK", 2)  # many short transactions, so the two scans interleave
    clock.freeze(at(2026, 6, 15, 10, 30))
    try:
        for _ in range(COMPLAINTS):
            c = _triage(_complaint(agent, order, at(2026, 6, 15, 10, 0)), qm, urgency="urgent")
            complaint_assign(complaint=c, actor=qm, owner=qe)
        # A week later every response deadline is missed and the ladder is due to its top.
        clock.freeze(at(2026, 6, 22, 9, 0))
        results, errors = _race(2)
        assert errors == [] and len(results) == 2
        assert sum(results) == COMPLAINTS  # each due deadline handled by exactly one scan
        assert services.deadlines_scan() == 0

        breaches = Counter(
            ComplaintEvent.objects.filter(verb="deadline_breached").values_list("complaint_id", flat=True)
        )
        assert len(breaches) == COMPLAINTS and set(breaches.values()) == {1}
        steps = Counter(
            ComplaintEvent.objects.filter(verb="deadline_escalated").values_list("complaint_id", "data__who")
        )
        assert len(steps) == COMPLAINTS * 4 and set(steps.values()) == {1}
        assert Notification.objects.filter(recipient=qe, verb="deadline_breached").count() == COMPLAINTS
        assert Notification.objects.filter(recipient=gm, verb="deadline_escalated").count() == COMPLAINTS
        assert Notification.objects.filter(recipient=qm, verb="deadline_escalated").count() == COMPLAINTS
    finally:
        clock.freeze(None)
