"""``manage.py rollups_rebuild``: master-data edits carry no complaint event, so the worker's refresh does
not see them; the command brings the sliced rollups back to the live answer. ``rollups_recompute`` does
the same for named complaints changed outside the services, recomputing only the days they touch."""

import datetime as dt
import random
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from closeloop.complaints.models import Complaint, ComplaintEvent
from closeloop.core import clock
from closeloop.customers.models import Product
from closeloop.dashboards import footprints, live, rollup_reads, rollups, selectors
from closeloop.dashboards.kpi import DashFilters, day_bounds, local_day, site_tz
from closeloop.dashboards.models import RollupFootprint, RollupState
from closeloop.dashboards.tests.test_rollup_equals_live import NOW, _generate, counted_live

pytestmark = pytest.mark.django_db

PERIOD = DashFilters(date_from=dt.date(2026, 5, 1), date_to=dt.date(2026, 6, 10), product_family="fam-a")


def _figures(user) -> tuple:
    return (
        selectors.kpis_get(user=user, f=PERIOD),
        selectors.pareto_get(user=user, f=PERIOD, dimension="product"),
    )


def _live(user) -> tuple:
    return counted_live(lambda: _figures(user))


def test_a_rebuild_picks_up_a_product_moved_to_another_family(gm):
    clock.freeze(NOW)
    try:
        _generate(random.Random(7), gm)
        rollups.rollups_rebuild(now=NOW)
        # The product joins fam-a: its complaints now count there, live at once, in the rollups not yet.
        Product.objects.filter(code="RP2").update(family="fam-a")
        stale, live_now = _figures(gm), _live(gm)
        assert live_now[0]["received"].value > stale[0]["received"].value
        out = StringIO()
        call_command("rollups_rebuild", stdout=out)
        assert "rolled up 134 days" in out.getvalue()  # from the first receipt (1 February) to yesterday
        assert _figures(gm) == live_now
        # From a day on: only the days from it are recomputed (a repair after a known date).
        out = StringIO()
        call_command("rollups_rebuild", "--since", "2026-06-01", stdout=out)
        assert "rolled up 14 days" in out.getvalue()
        assert _figures(gm) == live_now
    finally:
        clock.freeze(None)


def test_a_bad_since_is_refused_naming_the_option():
    with pytest.raises(CommandError, match="--since"):
        call_command("rollups_rebuild", "--since", "2026-13-01", stdout=StringIO())


def test_recompute_repairs_only_the_days_of_complaints_changed_outside_the_services(gm):
    clock.freeze(NOW)
    try:
        _generate(random.Random(7), gm)
        assert rollups.rollups_recompute({1}, now=NOW) == 0  # before the first rebuild there is nothing
        rollups.rollups_rebuild(now=NOW)
        # A complaint of the period moved to a fam-a product by raw SQL: no timeline row is written, so
        # the worker's refresh cannot see it.
        moved = (
            Complaint.objects.filter(
                received_at__date__gte=PERIOD.date_from,
                received_at__date__lte=PERIOD.date_to,
                product__family="fam-b",
                status="closed",
            )
            .order_by("pk")
            .first()
        )
        assert moved is not None
        Complaint.objects.filter(pk=moved.pk).update(product=Product.objects.get(code="RP0"))
        stale, live_now = _figures(gm), _live(gm)
        assert live_now[0]["received"].value == stale[0]["received"].value + 1
        rollups.rollups_refresh(now=NOW)
        assert _figures(gm) == stale
        days = rollups.rollups_recompute({moved.pk}, now=NOW)
        assert _figures(gm) == live_now
        # Only the days the complaint and its repeat followers are counted on, not the 134 of the rebuild.
        assert 1 <= days < 20
        # Its footprint is stored as it is now: a second repair no longer visits the days it was counted
        # on under its old product (nor that product's repeats), and changes nothing.
        assert 1 <= rollups.rollups_recompute({moved.pk}, now=NOW) < days
        assert _figures(gm) == live_now
    finally:
        clock.freeze(None)


def test_only_a_moved_repeat_key_recomputes_the_days_of_the_repeats_that_follow(gm):
    """A change another complaint's repeat flag cannot see (a closure, a verdict) recomputes the
    complaint's own days; one it can see (merged: it no longer counts as an earlier complaint) also the
    days of the complaints that may follow it as repeats, and the figures equal the live ones."""
    clock.freeze(NOW)
    try:
        _generate(random.Random(7), gm)
        rollups.rollups_rebuild(now=NOW)
        complete_until = RollupState.objects.get().complete_until

        def finished(days: set[dt.date]) -> set[dt.date]:
            return {d for d in days if d < complete_until}

        candidates = Complaint.objects.filter(product__isnull=False, status="closed").order_by("pk")
        for c in candidates:
            fp = RollupFootprint.objects.get(pk=c.pk)
            own = finished({dt.date.fromisoformat(d) for d in fp.days})
            followers = finished(footprints.followers_days({(c.customer_id, c.product_id, fp.received_day)}))
            if followers - own:
                break
        else:
            raise AssertionError("no complaint with repeats on days of their own")
        assert rollups.rollups_recompute({c.pk}, now=NOW) == len(own)
        Complaint.objects.filter(pk=c.pk).update(status="merged")
        assert rollups.rollups_recompute({c.pk}, now=NOW) == len(own | followers)
        assert _figures(gm) == _live(gm)
        # A footprint stored before the key was kept counts as moved: its followers are recomputed once.
        RollupFootprint.objects.filter(pk=c.pk).update(received_at=None, valid=None)
        assert rollups.rollups_recompute({c.pk}, now=NOW) == len(own | followers)
        assert rollups.rollups_recompute({c.pk}, now=NOW) == len(own)
    finally:
        clock.freeze(None)


def test_many_changed_complaints_are_footprinted_a_chunk_at_a_time(gm, monkeypatch):
    """A refresh after a large import meets every imported complaint: their footprints are read,
    compared and replaced a chunk at a time (so the worker never holds them all as objects), and the
    figures still equal the live ones."""
    monkeypatch.setattr(footprints, "FOOTPRINT_CHUNK", 7)
    clock.freeze(NOW)
    try:
        _generate(random.Random(11), gm)
        rollups.rollups_rebuild(now=NOW)
        changed = list(
            Complaint.objects.filter(
                received_at__date__gte=PERIOD.date_from,
                received_at__date__lte=PERIOD.date_to,
                product__family="fam-b",
            ).order_by("pk")[:30]
        )
        assert len(changed) == 30
        Complaint.objects.filter(pk__in=[c.pk for c in changed]).update(
            product=Product.objects.get(code="RP0")
        )
        live_now = _live(gm)
        with CaptureQueriesContext(connection) as ctx:
            assert rollups.rollups_recompute({c.pk for c in changed}, now=NOW) > 0
        reads = [
            q for q in ctx.captured_queries if q["sql"].startswith('SELECT "dashboards_rollupfootprint"')
        ]
        assert len(reads) == 5  # 30 complaints, 7 at a time
        assert _figures(gm) == live_now
        stored = RollupFootprint.objects.in_bulk([c.pk for c in changed])
        assert len(stored) == 30
        assert {fp.product_id for fp in stored.values()} == {Product.objects.get(code="RP0").pk}
    finally:
        clock.freeze(None)


def test_the_followers_of_many_keys_are_read_once_per_customer_and_product(gm):
    """After an import every new complaint's repeat key has moved: the days that may follow them are
    read with one query per (customer, product), not one per key, and they are the days the per-key
    definition gives (windows that overlap, touch or stand apart; receipts near local midnight)."""
    clock.freeze(NOW)
    try:
        _generate(random.Random(7), gm)
        rows = list(Complaint.objects.filter(product__isnull=False).values_list("customer_id", "product_id"))
        rnd = random.Random(3)
        keys = {(c, p, dt.date(2026, 2, 1) + dt.timedelta(days=rnd.randint(0, 130))) for c, p in rows}
        keys |= {(c, p, d + dt.timedelta(days=92)) for c, p, d in list(keys)[:20]}  # windows that touch

        def per_key(key: tuple[int, int, dt.date]) -> set[dt.date]:
            start, _end = day_bounds(key[2])
            end = start + live.REPEAT_WINDOW + dt.timedelta(days=2)
            return {
                local_day(r)
                for r in Complaint.objects.filter(
                    customer_id=key[0], product_id=key[1], received_at__gte=start, received_at__lt=end
                ).values_list("received_at", flat=True)
            }

        expected = set().union(*(per_key(k) for k in keys))
        with CaptureQueriesContext(connection) as q:
            got = footprints.followers_days(keys)
        assert got == expected and len(expected) > 30
        assert len(q.captured_queries) == len({(c, p) for c, p, _d in keys}) < len(keys)
        # Distinct over the day alone (the model's ordering columns would make every row distinct).
        assert all('"id"' not in x["sql"].split(" FROM ")[0] for x in q.captured_queries)
        # Near midnight: a receipt at 00:30 local time is counted on its local day.
        late = Complaint.objects.filter(product__isnull=False).order_by("pk").first()
        assert late is not None
        local = dt.datetime.combine(dt.date(2026, 3, 2), dt.time(0, 30), tzinfo=site_tz())
        Complaint.objects.filter(pk=late.pk).update(received_at=local)
        key = (late.customer_id, late.product_id, dt.date(2026, 3, 1))
        assert dt.date(2026, 3, 2) in footprints.followers_days({key}) == per_key(key)
    finally:
        clock.freeze(None)


def test_the_changed_complaints_come_distinct_in_order_with_those_of_changed_8ds(gm):
    """The refresh's changed complaints: those with events in the window, and every complaint of an 8D
    with an event in it, once each, ascending, held as machine integers (an import's worth of them as
    Python ints took the worker 20 MB)."""
    from closeloop.complaints.models import ComplaintEvent
    from closeloop.investigations.models import Investigation, InvestigationEvent

    clock.freeze(NOW)
    try:
        _generate(random.Random(5), gm)
        since = NOW + dt.timedelta(days=400)  # after every generated event
        until = since + dt.timedelta(hours=1)
        pool = list(Complaint.objects.filter(investigation__isnull=True).order_by("-pk")[:6])
        for c, minutes in zip(pool, [0, 5, 5, 59, 60, -1], strict=True):  # 60 and -1: outside
            for _ in range(2):  # two events for one complaint: counted once
                ComplaintEvent.objects.create(
                    complaint=c, verb="note", created_at=since + dt.timedelta(minutes=minutes)
                )
        case = Investigation.objects.filter(complaints__isnull=False).order_by("pk").first()
        assert case is not None
        InvestigationEvent.objects.create(investigation=case, verb="note", created_at=since)
        got = rollups.complaints_changed(since, until)
        expected = sorted({c.pk for c in pool[:4]} | set(case.complaints.values_list("pk", flat=True)))
        assert got.typecode == "q"
        assert list(got) == expected
        assert len(expected) > 4
        assert set(rollups.complaints_changed(since)) == set(expected) | {pool[4].pk}
    finally:
        clock.freeze(None)


def _day_equals_live(user, first: dt.date, last: dt.date, now: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    f = DashFilters(date_from=first, date_to=last)
    start, end = f.bounds()
    expected = live.counts_live(live.scope_qs(user=user, f=f), start, end, now)
    assert rollup_reads.counts_from_rollups(user=user, f=f, now=now) == expected


def test_a_rebuild_from_a_day_on_counts_what_the_refresh_had_not_seen_before_that_day(gm):
    """A complaint changed since the last refresh, counted only on days before ``since``: the rebuild
    replaces its footprint, so no later refresh would see the change; the rebuild counts it itself."""
    clock.freeze(NOW)
    try:
        _generate(random.Random(11), gm)
        rollups.rollups_rebuild(now=NOW)
        later = NOW + dt.timedelta(minutes=10)
        clock.freeze(later)
        old = NOW - dt.timedelta(days=40)
        c = live.valid(Complaint.objects.filter(received_at__lt=old)).order_by("id").first()
        Complaint.objects.filter(pk=c.pk).update(status="merged")
        ComplaintEvent.objects.create(complaint=c, verb="marked_duplicate", created_at=later)
        rollups.rollups_rebuild(since=NOW.date() - dt.timedelta(days=7), now=later)
        day = local_day(c.received_at)
        _day_equals_live(gm, day, day, later)
        rollups.rollups_refresh(now=later + dt.timedelta(minutes=1))
        _day_equals_live(gm, day, day, later + dt.timedelta(minutes=1))
    finally:
        clock.freeze(None)


def test_a_rebuild_from_a_day_on_also_rolls_up_the_days_the_worker_had_not_reached(gm):
    """The worker stopped five days ago: a rebuild from yesterday rolls up the days before it too."""
    clock.freeze(NOW)
    try:
        _generate(random.Random(12), gm)
        stopped = NOW - dt.timedelta(days=5)
        rollups.rollups_rebuild(now=stopped)
        assert RollupState.objects.get().complete_until == local_day(stopped)
        rollups.rollups_rebuild(since=NOW.date() - dt.timedelta(days=1), now=NOW)
        assert RollupState.objects.get().complete_until == NOW.date()
        first, last = local_day(stopped), NOW.date() - dt.timedelta(days=1)
        _day_equals_live(gm, first, last, NOW)
        # The durations too: the day the stopped worker had rolled up as today is carried into the
        # blocks above it.
        f = DashFilters(date_from=first - dt.timedelta(days=20), date_to=last)
        assert selectors.kpis_get(user=gm, f=f) == counted_live(lambda: selectors.kpis_get(user=gm, f=f))
    finally:
        clock.freeze(None)
