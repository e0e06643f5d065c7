"""After any change a service can make, the worker's refresh leaves every rollup table exactly as a full
rebuild at the same instant writes it — and so equal to the live computation.

test_rollup_equals_live.py checks the figures after two kinds of change; this drives rounds of random
changes of every kind that moves a figure (status, key fields, receipt time, deadlines met, moved,
paused or dropped, verdicts, handling starts, 8D links, closures, costs and root causes; in the past and
today, and across midnight), each with the timeline row the service writes with it, and compares the
refreshed tables row for row with those a rebuild writes. A day the refresh fails to recompute shows as
a differing row, whichever figure it holds."""

import datetime as dt
import json
import random
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Model

from closeloop.complaints.models import Category, Complaint, ComplaintEvent, CustomerVerdict
from closeloop.core import clock
from closeloop.customers.models import Customer, Product, Site
from closeloop.customers.tests.factories import product_make
from closeloop.dashboards import footprints, live, rollup_reads, rollups
from closeloop.dashboards.models import RollupFootprint
from closeloop.dashboards.tests.test_rollup_equals_live import FILTERS, NOW, SH, _generate
from closeloop.investigations.models import Investigation, InvestigationEvent
from closeloop.sla.models import Deadline

pytestmark = pytest.mark.django_db

# What the refresh and the rebuild both write; NowSnapshot is recomputed whole by both.
TABLES: tuple[type[Model], ...] = (*rollups.ROLLUP_MODELS, RollupFootprint)
ROOT_CAUSES = ["man", "machine", "material", "method", "measurement", "environment"]
KINDS = [
    "reopen",
    "close_today",
    "close_backdated",
    "invalidate",
    "revalidate",
    "category",
    "severity",
    "customer",
    "product",
    "site",
    "received_at",
    "deadline_met",
    "deadline_moved",
    "deadline_paused",
    "deadline_dropped",
    "verdict_today",
    "verdict_backdated",
    "handling_started",
    "case_link",
    "case_unlink",
    "case_cost",
    "case_reopen",
    "case_close",
    "root_cause",
    "repeat_made",
    "repeat_lost",
]
PER_ROUND = 3
CASE_KINDS = ["case_cost", "case_reopen", "case_close", "root_cause"]
LONE = "RPZ"  # the product of the lone pair: one complaint, which a change makes a repeat or not


def _rows(model: type[Model]) -> list[str]:
    """The table's rows without their surrogate ids, as sorted canonical JSON."""
    names = [f.attname for f in model._meta.concrete_fields if not (f.primary_key and f.name == "id")]
    return sorted(
        json.dumps(dict(zip(names, r, strict=True)), sort_keys=True, default=str)
        for r in model._default_manager.values_list(*names)
    )


def _tables() -> dict[str, list[str]]:
    return {m.__name__: _rows(m) for m in TABLES}


def _past(rng: random.Random, at: dt.datetime, most_days: int = 60) -> dt.datetime:
    return at - dt.timedelta(minutes=rng.randint(60, most_days * 24 * 60))


def _other(rng: random.Random, current: Any, choices: list[Any]) -> Any:
    """A value other than ``current``: a change to the same value moves nothing."""
    return rng.choice([v for v in choices if v != current])


def _event(c: Complaint, verb: str, at: dt.datetime) -> None:
    ComplaintEvent.objects.create(complaint=c, verb=verb, created_at=at)


def _mutate(rng: random.Random, at: dt.datetime, kind: str) -> str:
    """Make one change of ``kind`` to a random complaint (or 8D case) as a service makes it: the rows
    it moves, and its timeline row at ``at``. Returns what was changed, for the failure message."""
    complaints = Complaint.objects.order_by("id")
    # A valid complaint: a change to one that is not counted moves no figure but its own invalid count.
    c = rng.choice(list(live.valid(complaints)))
    fields: dict[str, Any] = {}
    if kind == "reopen":
        c = complaints.filter(status="closed").order_by("?").first() or c
        fields = {"status": "in_progress", "reopen_count": c.reopen_count + 1}
    elif kind in ("close_today", "close_backdated"):
        when = at if kind == "close_today" else max(_past(rng, at), c.received_at + dt.timedelta(hours=1))
        fields = {"status": "closed", "closed_at": when}
    elif kind == "invalidate":
        fields = {"status": rng.choice(["rejected", "merged"])}
    elif kind == "revalidate":
        c = complaints.filter(status__in=live.NOT_VALID).order_by("?").first() or c
        fields = {"status": "triaged"}
    elif kind == "category":
        fields = {"category": _other(rng, c.category, [*Category.objects.order_by("id")[:6], None])}
    elif kind == "severity":
        fields = {"severity": _other(rng, c.severity, ["minor", "general", "serious"])}
    elif kind == "customer":
        fields = {"customer": _other(rng, c.customer, list(Customer.objects.filter(code__startswith="R")))}
    elif kind == "product":
        fields = {
            "product": _other(
                rng, c.product, [*Product.objects.filter(code__startswith="RP").exclude(code=LONE), None]
            )
        }
    elif kind == "site":
        fields = {"site": _other(rng, c.site, [*Site.objects.filter(code__startswith="S"), None])}
    elif kind == "received_at":
        # A closed complaint whose handling started: its cycle and first-response times move too.
        c = complaints.filter(status="closed", events__verb="handling_started").order_by("?").first() or c
        fields = {"received_at": c.received_at + dt.timedelta(hours=rng.choice([-100, -50, 30, 75]))}
    elif kind in ("repeat_made", "repeat_lost"):
        # Only the other complaint changes: the lone one's day moves through the repeat followers alone.
        lone = Complaint.objects.get(product__code=LONE, number__endswith="-lone")
        other = Complaint.objects.filter(product__code=LONE).exclude(pk=lone.pk).first()
        if kind == "repeat_lost" and other is not None:
            c, fields = other, {"status": "merged"}
        else:
            c = complaints.exclude(product__code=LONE).filter(status="triaged").first() or c
            fields = {
                "customer": lone.customer,
                "product": lone.product,
                "received_at": lone.received_at - dt.timedelta(days=2),
            }
    elif kind.startswith("deadline_"):
        # A deadline counted on a finished day (one due later is not rolled up yet).
        finished = at - dt.timedelta(days=5)
        d = Deadline.objects.filter(met_at__isnull=True, paused_at__isnull=True, due_at__lt=finished).filter(
            complaint__status__in=live.VALID_STATUSES
        )
        d = d.order_by("?").first()
        c = d.complaint
        if kind == "deadline_met":
            # Met in time, recorded late (met late, an unmet deadline past due counts the same).
            Deadline.objects.filter(pk=d.pk).update(met_at=d.due_at - dt.timedelta(hours=rng.randint(1, 30)))
        elif kind == "deadline_moved":
            shift = rng.choice([-1, 1]) * rng.randint(30, 90)
            Deadline.objects.filter(pk=d.pk).update(due_at=d.due_at + dt.timedelta(hours=shift))
        elif kind == "deadline_paused":
            Deadline.objects.filter(pk=d.pk).update(paused_at=d.due_at - dt.timedelta(hours=5))
        else:
            Deadline.objects.filter(pk=d.pk).delete()
    elif kind.startswith("verdict_"):
        satisfied = rng.random() < 0.6
        CustomerVerdict.objects.create(
            complaint=c,
            satisfied=satisfied,
            score=rng.randint(1, 5) if satisfied else None,
            recorded_at=at if kind == "verdict_today" else max(_past(rng, at), c.received_at),
        )
    elif kind == "handling_started":
        _event(c, "handling_started", at)
        return f"{kind} {c.number}"
    elif kind == "case_link":
        fields = {"investigation": rng.choice(list(Investigation.objects.all()))}
    elif kind == "case_unlink":
        c = complaints.filter(investigation__isnull=False).order_by("?").first() or c
        fields = {"investigation": None}
    else:
        case = Investigation.objects.order_by("?").first()
        if kind == "case_cost":
            Investigation.objects.filter(pk=case.pk).update(cost_total=Decimal(rng.randint(100, 9000)))
        elif kind == "case_reopen":
            Investigation.objects.filter(pk=case.pk).update(status="open")
        elif kind == "case_close":
            Investigation.objects.filter(pk=case.pk).update(
                status="closed", closed_at=rng.choice([at, _past(rng, at)])
            )
        else:
            Investigation.objects.filter(pk=case.pk).update(root_cause_category=rng.choice(ROOT_CAUSES))
        InvestigationEvent.objects.create(investigation=case, verb=kind, created_at=at)
        return f"{kind} {case.number}"
    if fields:
        Complaint.objects.filter(pk=c.pk).update(**fields)
    _event(c, kind, at)
    return f"{kind} {c.number}"


def _figures_equal_live(user: Any, now: dt.datetime) -> None:
    for f in FILTERS:
        start, end = f.bounds()
        expected = live.counts_live(live.scope_qs(user=user, f=f), start, end, now)
        assert rollup_reads.counts_from_rollups(user=user, f=f, now=now) == expected, f


@pytest.mark.parametrize("seed", [1])
def test_the_refresh_after_random_changes_writes_what_a_rebuild_writes(gm, seed):
    """Every kind of change once, in random order, a few per round: with many at once the days
    recomputed cover most of the data, and a day the refresh should have recomputed but did not would
    be recomputed anyway."""
    rng = random.Random(seed)
    clock.freeze(NOW)
    try:
        _generate(rng, gm)
        lone = Complaint.objects.filter(status="triaged").order_by("-id").first()
        Complaint.objects.filter(pk=lone.pk).update(
            product=product_make(LONE, "孤品"), number=f"{lone.number}-lone"
        )
        rollups.rollups_rebuild(now=NOW)
        # A change to an 8D case moves every complaint it covers (a tenth of them here), so most days
        # are recomputed in its round: those changes have a round of their own, the last.
        by_complaint = rng.sample([k for k in KINDS if k not in CASE_KINDS], len(KINDS) - len(CASE_KINDS))
        schedule = [by_complaint[i : i + PER_ROUND] for i in range(0, len(by_complaint), PER_ROUND)]
        schedule.append(CASE_KINDS)
        # Rounds a minute apart on the same day, then one just after midnight: the day that was today
        # is then finished and enters the blocks above it.
        instants = [NOW + dt.timedelta(minutes=m) for m in range(1, len(schedule))]
        instants.append(dt.datetime.combine(NOW.date() + dt.timedelta(days=1), dt.time(0, 1), tzinfo=SH))
        for at, kinds in zip(instants, schedule, strict=True):
            clock.freeze(at)
            done = [_mutate(rng, at, kind) for kind in kinds]
            refresh_at = at + dt.timedelta(seconds=30)
            clock.freeze(refresh_at)
            rollups.rollups_refresh(now=refresh_at)
            refreshed = _tables()
            rollups.rollups_rebuild(now=refresh_at)
            rebuilt = _tables()
            for name, rows in rebuilt.items():
                missing = sorted(set(rows) - set(refreshed[name]))[:3]
                extra = sorted(set(refreshed[name]) - set(rows))[:3]
                assert refreshed[name] == rows, (at, name, missing, extra, done)
        _figures_equal_live(gm, refresh_at)
    finally:
        clock.freeze(None)


def test_a_change_recomputes_only_the_days_whose_digest_moved(gm):
    """A verdict recorded today moves none of the complaint's finished days (a repair still visits them
    all); a backdated one moves exactly its own day; a new severity moves every day the complaint is on."""
    clock.freeze(NOW)
    try:
        _generate(random.Random(9), gm)
        rollups.rollups_rebuild(now=NOW)
        c = (
            live.valid(Complaint.objects.filter(status="closed"))
            .filter(closed_at__date__lt=NOW.date() - dt.timedelta(days=3))
            .order_by("id")
            .first()
        )
        fp = RollupFootprint.objects.get(pk=c.pk)
        finished = [d for d in fp.days if d < NOW.date().isoformat()]
        assert len(finished) >= 2 and fp.sigs is not None and fp.deadlines is not None
        assert set(fp.sigs) - {footprints.COMMON} | set(fp.deadlines["d"]) <= set(fp.days)

        CustomerVerdict.objects.create(complaint=c, satisfied=True, score=5, recorded_at=NOW)
        assert rollups.rollups_recompute({c.pk}, now=NOW, every_day=False) == 0
        assert rollups.rollups_recompute({c.pk}, now=NOW) == len(finished)

        backdated = c.closed_at + dt.timedelta(hours=1)
        CustomerVerdict.objects.create(complaint=c, satisfied=False, recorded_at=backdated)
        assert rollups.rollups_recompute({c.pk}, now=NOW, every_day=False) == 1

        Complaint.objects.filter(pk=c.pk).update(severity="serious" if c.severity != "serious" else "minor")
        days = {d for d in RollupFootprint.objects.get(pk=c.pk).days if d < NOW.date().isoformat()}
        assert rollups.rollups_recompute({c.pk}, now=NOW, every_day=False) == len(days)
        rollups.rollups_refresh(now=NOW)  # today, which the recompute leaves to the refresh
        _figures_equal_live(gm, NOW)
    finally:
        clock.freeze(None)
