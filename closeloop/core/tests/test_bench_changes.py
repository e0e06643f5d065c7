"""The bench's minute of real changes moves open complaints one step on through the services, lets the
rollups' recompute see those changes, and leaves nothing behind. Its timing is printed, never asserted."""

from __future__ import annotations

import datetime as dt

import pytest

from closeloop.complaints.models import Complaint, ComplaintEvent
from closeloop.core import clock
from closeloop.core.bench_changes import STEPS, ages_of, minute_of_real_changes, picks
from closeloop.core.generator import complaints_generate
from closeloop.dashboards import rollups
from closeloop.dashboards.models import RollupFootprint

pytestmark = pytest.mark.django_db


@pytest.fixture
def lived(qm):  # type: ignore[no-untyped-def]
    """A year of generated complaints; the rollups are built by the test that reads them."""
    complaints_generate(400, seed=3)
    return qm


def test_picks_match_the_ages_of_a_generated_minute(lived):
    now = clock.now()
    quick_open = Complaint.objects.filter(status__in=STEPS).filter(handling_path__in=["", "quick"])
    received = sorted(quick_open.values_list("received_at", flat=True))
    # Ages matching three open complaints exactly, and one older than any: the oldest open is taken.
    ages = [now - received[0] + dt.timedelta(days=30), now - received[-1], now - received[len(received) // 2]]
    chosen = picks(ages, now)
    assert [c.received_at for c in chosen] == [received[0], received[-1], received[len(received) // 2]]
    # Each complaint is taken once: the same age twice gives the two nearest.
    twice = picks([now - received[-1]] * 2, now)
    assert len(set(twice)) == 2 and twice[0].received_at == received[-1]
    # No more than are open.
    assert len(picks([dt.timedelta(0)] * (len(received) + 5), now)) == len(received)


def test_the_ages_are_those_of_the_complaints_changed_in_the_minute(lived):
    event = ComplaintEvent.objects.filter(verb="handling_started").order_by("-created_at").first()
    start = event.created_at.replace(second=0, microsecond=0)
    ages = ages_of(start, start + dt.timedelta(minutes=1))
    changed = Complaint.objects.filter(
        events__created_at__gte=start, events__created_at__lt=start + dt.timedelta(minutes=1)
    ).distinct()
    assert sorted(ages, reverse=True) == ages
    assert sorted(ages) == sorted(start - c.received_at for c in changed)


def test_a_minute_of_real_changes_is_recomputed_and_rolled_back(lived):
    # The recompute needs the rollups' state and footprints; the last weeks' days are enough to build.
    rollups.rollups_rebuild(since=clock.now().date() - dt.timedelta(days=30))
    before = dict(Complaint.objects.values_list("id", "status"))
    events = ComplaintEvent.objects.count()
    footprints = RollupFootprint.objects.count()
    seen: dict[str, object] = {}

    def recompute(ids: list[int]) -> int:
        # What the worker's recompute would read: the complaints as the services left them.
        seen["moved"] = dict(Complaint.objects.filter(id__in=ids).values_list("id", "status"))
        return rollups.rollups_recompute(ids)

    ages = [dt.timedelta(days=d) for d in (40, 20, 9, 3, 1, 0)]
    result = minute_of_real_changes(ages, lived, recompute=recompute)

    assert result["complaints"] == 6 and sum(result["steps"].values()) == 6
    assert set(result["steps"]) <= {"triaged", "handling_started", "resolved", "closed", "reopened"}
    moved = seen["moved"]
    assert isinstance(moved, dict) and len(moved) == 6
    assert all(moved[cid] != before[cid] for cid in moved), "every complaint moved one step on"
    assert result["days_recomputed"] > 0 and result["seconds"] >= 0
    # Rolled back: the data, its timeline and the footprints are as they were.
    assert dict(Complaint.objects.values_list("id", "status")) == before
    assert ComplaintEvent.objects.count() == events
    assert RollupFootprint.objects.count() == footprints
