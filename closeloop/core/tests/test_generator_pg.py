"""On PostgreSQL, outside a transaction, a worker thread stores each half-batch while the next is built:
it stores the same data as writing each batch in turn."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

from closeloop.complaints.models import Complaint, ComplaintEvent, CustomerVerdict
from closeloop.core import clock
from closeloop.core.generator import complaints_generate
from closeloop.sla.models import ClockPause, Deadline

NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _lives(ids: list[int]) -> list[tuple[object, ...]]:
    """Each complaint's life, by received time, without its number and ids."""
    out = []
    for c in Complaint.objects.filter(id__in=ids).order_by("received_at").select_related("duplicate_of"):
        out.append(
            (
                c.received_at,
                c.title,
                c.status,
                c.owner_id,
                c.closed_at,
                c.version,
                c.duplicate_of.received_at if c.duplicate_of else None,
                list(c.events.order_by("created_at", "id").values_list("verb", "created_at", "note")),
                sorted(c.deadlines.values_list("target", "due_at", "met_at", "paused_at", "next_check_at")),
                list(c.verdicts.order_by("id").values_list("satisfied", "score", "recorded_at")),
                list(c.clock_pauses.order_by("id").values_list("started_at", "ended_at")),
            )
        )
    return out


def test_threaded_writes_store_what_writes_in_turn_store(agent, qe):
    clock.freeze(NOW)
    try:
        assert not connection.in_atomic_block  # so the generator hands its writes to the worker
        assert complaints_generate(500, seed=3, batch=200) == 500  # five half-batches
        first = list(Complaint.objects.values_list("id", flat=True))
        with transaction.atomic():  # the caller's transaction: written in turn, no thread
            assert complaints_generate(500, seed=3, batch=200) == 500
        second = list(Complaint.objects.exclude(id__in=first).values_list("id", flat=True))
        threaded, in_turn = _lives(first), _lives(second)
        assert threaded == in_turn
        assert sum(len(life[7]) for life in threaded) > 2500  # type: ignore[arg-type]
        links = ComplaintEvent.objects.filter(verb__in=["closed", "reopened"])
        assert {e.data["verdict"] for e in links} == set(CustomerVerdict.objects.values_list("id", flat=True))
        assert Deadline.objects.count() and ClockPause.objects.count()
    finally:
        clock.freeze(None)
