"""The rollups give the live answer: seeded random complaints (verdicts, reopenings, deadlines met on
time, late, missed and paused, invalid and duplicate complaints, closed 8D cases with costs) across
period boundaries, compared for several filters and periods; after a rebuild and after changes picked
up by a refresh. Rows are written directly (hundreds through the services would take minutes); the
counting rules themselves are pinned on service-built data in test_kpis.py."""

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo

import pytest

from closeloop.complaints.models import Category, Complaint, ComplaintEvent, CustomerVerdict
from closeloop.core import clock
from closeloop.customers.models import Site
from closeloop.customers.tests.factories import customer_make, product_make
from closeloop.dashboards import live, rollup_reads, rollups
from closeloop.dashboards.kpi import DashFilters
from closeloop.dashboards.models import RollupState
from closeloop.dashboards.selectors import kpis_get
from closeloop.investigations.models import Investigation
from closeloop.sla.models import Deadline

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=SH)
pytestmark = pytest.mark.django_db
T = TypeVar("T")


def counted_live(fn: Callable[[], T]) -> T:
    """``fn()`` with no rollups at all: every figure counted from the operational tables."""
    saved = list(RollupState.objects.all())
    RollupState.objects.all().delete()
    try:
        return fn()
    finally:
        RollupState.objects.bulk_create(saved)


def _generate(rng: random.Random, owner) -> None:
    customers = [customer_make(f"R{i}", f"客户{i}") for i in range(3)]
    products = [product_make(f"RP{i}", f"产品{i}", family="fam-a" if i < 2 else "fam-b") for i in range(4)]
    cats = list(Category.objects.order_by("id")[:6])
    sites = [Site.objects.create(code=f"S{i}", name=f"工厂{i}") for i in range(2)]
    start = dt.datetime(2026, 2, 1, tzinfo=SH)
    cases = [
        Investigation.objects.create(
            number=f"8D-R-{i}",
            title="案",
            owner=owner,
            opened_at=start,
            status="closed",
            closed_at=start + dt.timedelta(days=rng.randint(20, 134), hours=rng.randint(0, 23)),
            cost_total=Decimal(rng.randint(100, 9000)),
            cost_recovered=Decimal(rng.randint(0, 90)),
        )
        for i in range(6)
    ]
    for n in range(320):
        received = start + dt.timedelta(minutes=rng.randint(0, 134 * 24 * 60))
        status = rng.choice(
            [
                "new",
                "triaged",
                "in_progress",
                "awaiting_customer",
                "closed",
                "closed",
                "closed",
                "rejected",
                "merged",
            ]
        )
        closed_at = (
            min(received + dt.timedelta(hours=rng.randint(1, 900)), NOW) if status == "closed" else None
        )
        c = Complaint.objects.create(
            number=f"KS-R-{n:05d}",
            channel="phone",
            title="t",
            description="d",
            received_at=received,
            customer=rng.choice(customers),
            product=rng.choice([*products, None]),
            category=rng.choice([*cats, None]),
            severity=rng.choice(["minor", "general", "serious"]),
            status=status,
            closed_at=closed_at,
            reopen_count=rng.choice([0, 0, 1, 2]),
            investigation=rng.choice([None, None, None, *cases]),
            site=rng.choice([*sites, None]),
        )
        ComplaintEvent.objects.create(complaint=c, verb="created", created_at=received)
        if status in ("in_progress", "awaiting_customer", "closed"):
            ComplaintEvent.objects.create(
                complaint=c,
                verb="handling_started",
                created_at=received + dt.timedelta(hours=rng.randint(1, 48)),
            )
        for _v in range(rng.randint(0, 2)):
            satisfied = rng.random() < 0.6
            CustomerVerdict.objects.create(
                complaint=c,
                satisfied=satisfied,
                score=rng.randint(1, 5) if satisfied and rng.random() < 0.9 else None,
                recorded_at=received + dt.timedelta(hours=rng.randint(2, 500)),
            )
        for target in rng.sample(["response", "containment", "root_cause", "closure"], rng.randint(0, 4)):
            due = received + dt.timedelta(hours=rng.randint(4, 400))
            kind = rng.choice(["on_time", "exact", "late", "missed", "paused_before", "paused_after"])
            met = {
                "on_time": due - dt.timedelta(hours=1),
                "exact": due,
                "late": due + dt.timedelta(seconds=1),
            }.get(kind)
            paused = {
                "paused_before": due - dt.timedelta(hours=2),
                "paused_after": due + dt.timedelta(hours=2),
            }.get(kind)
            Deadline.objects.create(
                complaint=c,
                target=target,
                amount=1,
                unit="calendar_days",
                due_at=due,
                met_at=met,
                paused_at=paused,
            )


FILTERS = [
    DashFilters(date_from=dt.date(2026, 6, 1), date_to=dt.date(2026, 6, 15)),
    DashFilters(date_from=dt.date(2026, 3, 3), date_to=dt.date(2026, 5, 30)),
    DashFilters(date_from=dt.date(2026, 4, 1), date_to=dt.date(2026, 6, 14), product_family="fam-a"),
    DashFilters(date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 6, 15), customer="R1"),
    DashFilters(date_from=dt.date(2026, 5, 1), date_to=dt.date(2026, 5, 31), category="quality"),
    DashFilters(date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 6, 15), site="S1"),
    # Two filters: the keyed rollups answer (one filter is a slice of totals.py).
    DashFilters(
        date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 6, 15), customer="R1", product_family="fam-a"
    ),
]


def _compare(user) -> None:
    for f in FILTERS:
        start, end = f.bounds()
        expected = live.counts_live(live.scope_qs(user=user, f=f), start, end, NOW)
        got = rollup_reads.counts_from_rollups(user=user, f=f, now=NOW)
        assert got == expected, f
        assert rollup_reads.open_from_rollups(user=user, f=f, now=NOW) == live.open_live(
            live.scope_qs(user=user, f=f), end
        )


def test_rollups_equal_the_live_computation(gm):
    rng = random.Random(20260615)
    clock.freeze(NOW)
    try:
        _generate(rng, gm)
        assert rollups.rollups_rebuild(now=NOW) > 100
        _compare(gm)
        # Changes the refresh must find through their events: a complaint marked a duplicate (its
        # followers may stop being repeats), a resumed clock moving a due date to another day.
        later = NOW + dt.timedelta(minutes=1)
        victim = Complaint.objects.filter(status="triaged", product__isnull=False).first()
        Complaint.objects.filter(pk=victim.pk).update(status="merged")
        ComplaintEvent.objects.create(complaint=victim, verb="marked_duplicate", created_at=later)
        moved = Deadline.objects.filter(met_at__isnull=True, due_at__lt=NOW - dt.timedelta(days=10)).first()
        Deadline.objects.filter(pk=moved.pk).update(due_at=moved.due_at + dt.timedelta(days=3))
        ComplaintEvent.objects.create(complaint_id=moved.complaint_id, verb="clock_resumed", created_at=later)
        rollups.rollups_refresh(now=later)
        _compare(gm)
    finally:
        clock.freeze(None)


def test_kpis_read_rollups_in_a_pinned_number_of_queries(gm, django_assert_max_num_queries):
    clock.freeze(NOW)
    try:
        _generate(random.Random(7), gm)
        rollups.rollups_rebuild(now=NOW)
        with django_assert_max_num_queries(60):
            kpis = kpis_get(user=gm, f=FILTERS[1])
        assert (
            kpis["received"].value
            == live.counts_live(live.scope_qs(user=gm, f=FILTERS[1]), *FILTERS[1].bounds(), NOW).received
        )
    finally:
        clock.freeze(None)


def test_the_trend_from_rollups_equals_the_live_trend_in_few_queries(gm, django_assert_max_num_queries):
    """The trend reads the rolled-up days of its twelve periods in two grouped queries; the result is
    the same as counting each period live (the salesperson path, or no rollups)."""
    from closeloop.dashboards.selectors import trend_get

    clock.freeze(NOW)
    try:
        _generate(random.Random(11), gm)
        for grain in ("week", "month"):
            for f in FILTERS[:4]:
                live_points = trend_get(user=gm, f=f, grain=grain)  # no rollups yet: every period live
                rollups.rollups_rebuild(now=NOW)
                # 2 grouped reads for the rolled-up periods; the period holding today reads its rolled-up days
                # and counts today live (about a dozen): 16 in all, against 84 when every period is live.
                with django_assert_max_num_queries(16):
                    rolled = trend_get(user=gm, f=f, grain=grain)
                assert rolled == live_points, (grain, f)
                RollupState.objects.all().delete()
    finally:
        clock.freeze(None)


def test_backlog_ageing_in_sql_equals_bucketing_each_complaint(gm, agent):
    """The ageing buckets are counted in SQL; they equal putting each open complaint in its bucket by
    whole local days (``kpi.age_bucket``), including complaints received on a bucket's first and last
    day."""
    from collections import Counter

    from closeloop.complaints.models import Complaint
    from closeloop.dashboards.kpi import age_bucket, site_tz
    from closeloop.dashboards.selectors_backlog import backlog_ageing_get

    clock.freeze(NOW)
    try:
        _generate(random.Random(5), gm)
        tz = site_tz()
        today = NOW.astimezone(tz).date()
        edge = Complaint.objects.filter(status="triaged").order_by("pk")[:8]
        for c, days_ago in zip(edge, (7, 8, 30, 31, 90, 91, 0, 1), strict=False):
            start = dt.datetime.combine(today - dt.timedelta(days=days_ago), dt.time.min, tzinfo=tz)
            Complaint.objects.filter(pk=c.pk).update(received_at=start)  # the first instant of that day
        f = DashFilters(date_from=dt.date(2026, 6, 1), date_to=dt.date(2026, 6, 15))
        open_rows = Complaint.objects.filter(
            status__in=["new", "triaged", "in_progress", "awaiting_customer"]
        )
        expected = Counter(
            age_bucket((today - r.astimezone(tz).date()).days)
            for r in open_rows.values_list("received_at", flat=True)
        )
        for by in ("step", "owner", "department"):
            rows = backlog_ageing_get(user=gm, f=f, by=by)
            got: Counter[str] = Counter()
            for row in rows:
                got.update(row.buckets)
                assert row.total == sum(row.buckets.values())
            assert +got == +expected, by
    finally:
        clock.freeze(None)
