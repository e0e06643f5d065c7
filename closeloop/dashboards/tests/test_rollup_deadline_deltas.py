"""Changes that move only deadlines on finished days are applied to those days' deadline figures as a
difference (deadline_deltas.py): no day is recomputed whole, and every rollup table is then exactly
what a rebuild at the same instant writes."""

import datetime as dt
import random

import pytest

from closeloop.complaints.models import Complaint, ComplaintEvent
from closeloop.core import clock
from closeloop.customers.tests.factories import customer_make
from closeloop.dashboards import live, rollups
from closeloop.dashboards.models import DayTotal, DeadlineRollup, RollupFootprint
from closeloop.dashboards.tests.test_rollup_equals_live import NOW, SH, _generate
from closeloop.dashboards.tests.test_rollup_refresh_random import _figures_equal_live, _tables
from closeloop.sla.models import Deadline, Target

pytestmark = pytest.mark.django_db

FINISHED = NOW - dt.timedelta(days=5)


def _refresh_equals_rebuild(at: dt.datetime) -> int:
    """Refresh at ``at``; assert every table equals a rebuild's at the same instant; return the number of
    days the refresh recomputed whole."""
    clock.freeze(at)
    whole = rollups.rollups_refresh(now=at)
    refreshed = _tables()
    rollups.rollups_rebuild(now=at)
    rebuilt = _tables()
    for name, rows in rebuilt.items():
        missing = sorted(set(rows) - set(refreshed[name]))[:3]
        extra = sorted(set(refreshed[name]) - set(rows))[:3]
        assert refreshed[name] == rows, (name, missing, extra)
    return whole


def _counted(rng: random.Random, n: int = 1) -> list[Deadline]:
    """``n`` distinct unmet, unpaused deadlines of valid complaints, due on a finished day (counted as
    missed)."""
    candidates = (
        Deadline.objects.filter(met_at__isnull=True, paused_at__isnull=True, due_at__lt=FINISHED)
        .filter(complaint__status__in=live.VALID_STATUSES)
        .order_by("id")
    )
    return rng.sample(list(candidates), n)


def _rolled_up(seed: int, user) -> random.Random:  # type: ignore[no-untyped-def]
    """Freeze the clock at NOW, generate the seeded data, roll it all up; the generator, for the picks."""
    rng = random.Random(seed)
    clock.freeze(NOW)
    _generate(rng, user)
    rollups.rollups_rebuild(now=NOW)
    return rng


def _event(c: Complaint, verb: str, at: dt.datetime) -> None:
    ComplaintEvent.objects.create(complaint=c, verb=verb, created_at=at)


def test_deadline_changes_recompute_no_day_and_write_what_a_rebuild_writes(gm):
    """Planned past due, met in time, met at the due second (on time), paused before due, paused at the
    due second (still counted), moved a day or more, dropped: each only moves deadline figures, of one
    day or two, or none."""
    try:
        rng = _rolled_up(5, gm)
        at = NOW + dt.timedelta(minutes=1)
        changed = _counted(rng, 7)
        planned, met, met_at_due, paused, paused_at_due, moved, dropped = changed
        Deadline.objects.create(
            complaint=planned.complaint,
            target=Target.PROPOSAL,
            amount=3,
            unit=planned.unit,
            due_at=planned.due_at - dt.timedelta(days=1),
        )
        Deadline.objects.filter(pk=met.pk).update(met_at=met.due_at - dt.timedelta(hours=2))
        Deadline.objects.filter(pk=met_at_due.pk).update(met_at=met_at_due.due_at)
        Deadline.objects.filter(pk=paused.pk).update(paused_at=paused.due_at - dt.timedelta(hours=5))
        Deadline.objects.filter(pk=paused_at_due.pk).update(paused_at=paused_at_due.due_at)
        Deadline.objects.filter(pk=moved.pk).update(due_at=moved.due_at + dt.timedelta(hours=50))
        Deadline.objects.filter(pk=dropped.pk).delete()
        for d in changed:
            _event(d.complaint, "deadline_changed", at)
        assert _refresh_equals_rebuild(at + dt.timedelta(seconds=30)) == 0
        _figures_equal_live(gm, at + dt.timedelta(seconds=30))
    finally:
        clock.freeze(None)


def test_a_slice_left_with_nothing_on_the_day_loses_its_total(gm):
    """A customer whose only figure of a day is one deadline has a total that day; once the deadline
    moves to another day, the total is gone, as a rebuild leaves it."""
    clock.freeze(NOW)
    try:
        _generate(random.Random(6), gm)
        customer = customer_make("DL1", "期限客户")
        received = dt.datetime(2026, 5, 2, 9, 0, tzinfo=SH)
        c = Complaint.objects.create(
            number="KS-DL-1",
            channel="phone",
            title="t",
            description="d",
            received_at=received,
            customer=customer,
            status="triaged",
        )
        _event(c, "created", received)
        d = Deadline.objects.create(
            complaint=c,
            target=Target.RESPONSE,
            amount=5,
            unit="calendar_days",
            due_at=received + dt.timedelta(days=5),
        )
        rollups.rollups_rebuild(now=NOW)
        due_day = dt.date(2026, 5, 7)
        assert DayTotal.objects.get(slice=f"customer:{customer.pk}", day=due_day).deadlines == {
            "response": [1, 0]
        }

        at = NOW + dt.timedelta(minutes=1)
        Deadline.objects.filter(pk=d.pk).update(due_at=d.due_at + dt.timedelta(days=3))
        _event(c, "deadline_changed", at)
        assert _refresh_equals_rebuild(at + dt.timedelta(seconds=30)) == 0
        assert not DayTotal.objects.filter(slice=f"customer:{customer.pk}", day=due_day).exists()
        moved_to = DayTotal.objects.get(slice=f"customer:{customer.pk}", day=dt.date(2026, 5, 10))
        assert moved_to.deadlines == {"response": [1, 0]}
    finally:
        clock.freeze(None)


def test_a_difference_the_stored_rows_cannot_take_recomputes_the_day(gm):
    """Rows that no longer hold what the footprints say (changed by hand) are not made negative: the day
    is recomputed whole instead."""
    try:
        rng = _rolled_up(7, gm)
        (d,) = _counted(rng)
        DeadlineRollup.objects.filter(day=d.due_at.astimezone(SH).date()).delete()
        at = NOW + dt.timedelta(minutes=1)
        Deadline.objects.filter(pk=d.pk).delete()
        _event(d.complaint, "deadline_changed", at)
        assert _refresh_equals_rebuild(at + dt.timedelta(seconds=30)) == 1
    finally:
        clock.freeze(None)


def test_footprints_stored_before_deadlines_were_kept_apart_recompute_every_day(gm):
    """A footprint without ``deadlines`` (stored before they were kept) gives no difference: every day
    of the complaint is recomputed whole, once, and its footprint is then complete."""
    try:
        rng = _rolled_up(8, gm)
        (d,) = _counted(rng)
        RollupFootprint.objects.filter(pk=d.complaint_id).update(deadlines=None)
        finished = [
            x for x in RollupFootprint.objects.get(pk=d.complaint_id).days if x < NOW.date().isoformat()
        ]
        Deadline.objects.filter(pk=d.pk).update(met_at=d.due_at)
        assert rollups.rollups_recompute({d.complaint_id}, now=NOW, every_day=False) == len(finished)
        assert RollupFootprint.objects.get(pk=d.complaint_id).deadlines is not None
        Deadline.objects.filter(pk=d.pk).update(met_at=None)
        assert rollups.rollups_recompute({d.complaint_id}, now=NOW, every_day=False) == 0
    finally:
        clock.freeze(None)
