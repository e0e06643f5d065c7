"""Generated complaints live the workflow as the services would have written it: statuses and fields,
the timeline events in the services' order, deadlines met, late or running as ``sla`` computes them,
clock pauses and verdicts — and the cockpit's rollups equal its live figures on them."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

import pytest

from closeloop.complaints import events as complaint_events
from closeloop.complaints import handling
from closeloop.complaints.events import AUDITED_FIELDS
from closeloop.complaints.models import Complaint, ComplaintEvent, CustomerVerdict, NumberSequence
from closeloop.core import clock
from closeloop.core.generator import complaints_generate
from closeloop.dashboards import live, rollup_reads, rollups
from closeloop.dashboards.kpi import DashFilters
from closeloop.dashboards.tests.test_rollup_equals_live import _compare
from closeloop.sla.deadlines import due_compute_paused
from closeloop.sla.models import ClockPause, Deadline
from closeloop.sla.selectors import pauses_ended, schedule_get

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 6, 15, 10, 0, tzinfo=SH)  # the rollup test's clock: its filters fit our data
N = 300
pytestmark = pytest.mark.django_db

# The verbs of one complaint in timeline order, as the services write them.
LIFE = re.compile(
    r"created( triaged)?( marked_invalid| marked_duplicate)?$"
    r"|created triaged handling_started"
    r"( resolved clock_paused clock_resumed reopened)*( resolved clock_paused( clock_resumed closed)?)?$"
)


@pytest.fixture
def generated(agent, qe, gm):
    clock.freeze(NOW)
    try:
        assert complaints_generate(N, seed=11, batch=120) == N
        yield
    finally:
        clock.freeze(None)


def _timelines() -> dict[int, list[ComplaintEvent]]:
    out: dict[int, list[ComplaintEvent]] = defaultdict(list)
    for e in ComplaintEvent.objects.order_by("created_at", "id"):
        out[e.complaint_id].append(e)
    return out


def test_statuses_span_the_workflow_and_numbers_are_reserved(generated):
    statuses = Counter(Complaint.objects.values_list("status", flat=True))
    assert set(statuses) == {
        "new",
        "triaged",
        "in_progress",
        "awaiting_customer",
        "closed",
        "rejected",
        "merged",
    }
    assert 0.6 <= statuses["closed"] / N <= 0.82
    assert Complaint.objects.filter(status="closed", reopen_count__gt=0).count() >= 5
    # the older half is mostly closed
    half = NOW - dt.timedelta(days=182)
    older = Complaint.objects.filter(received_at__lt=half)
    assert older.filter(status="closed").count() / older.count() > 0.75
    # every number is taken from the sequence, which is left at the last one used
    for seq in NumberSequence.objects.filter(scope="complaint"):
        used = sorted(
            int(n.rsplit("-", 1)[1])
            for n in Complaint.objects.filter(number__contains=f"-{seq.year}-").values_list(
                "number", flat=True
            )
        )
        assert used == list(range(1, seq.last_value + 1))


def test_events_follow_the_services_order_and_times(generated):
    timelines = _timelines()
    assert len(timelines) == N
    total = sum(len(t) for t in timelines.values())
    assert 4.5 <= total / N <= 7.0  # ~5.5: a closed complaint's life is seven events
    for c in Complaint.objects.all():
        rows = timelines[c.pk]
        verbs = " ".join(e.verb for e in rows if e.verb != "duplicate_linked")
        assert LIFE.match(verbs), (c.number, c.status, verbs)
        assert rows[0].verb == "created" and rows[0].created_at == c.received_at
        assert all(c.received_at <= e.created_at < NOW for e in rows)
        by_verb = {e.verb: e for e in rows}
        assert c.version == 1 + sum(
            e.verb not in ("created", "clock_paused", "clock_resumed", "duplicate_linked") for e in rows
        )
        assert c.reopen_count == sum(e.verb == "reopened" for e in rows)
        if c.status != "new" and "triaged" in by_verb:
            assert c.triaged_at == by_verb["triaged"].created_at
        if c.status == "closed":
            assert c.closed_at == by_verb["closed"].created_at >= c.received_at
            assert c.handling_path == "quick" and c.owner_id is not None and c.resolved_at is not None
        else:
            assert c.closed_at is None
        if c.status == "merged":
            original = c.duplicate_of
            assert (
                original is not None and original.status != "merged" and original.received_at < c.received_at
            )
            assert by_verb["marked_duplicate"].data == {"original": original.number}
            assert any(
                e.verb == "duplicate_linked" and e.data == {"duplicate": c.number}
                for e in timelines[original.pk]
            )
        if c.status == "rejected":
            assert c.invalid_reason and by_verb["marked_invalid"].note == c.invalid_reason


def test_replaying_the_audit_trail_gives_the_complaint(generated):
    """The created event's values, changed by each later event's changes, are the complaint's audited
    fields now — as for complaints written by the services."""
    timelines = _timelines()
    for c in Complaint.objects.select_related(
        "customer", "product", "site", "category", "department", "owner"
    ):
        state: dict[str, object] = dict.fromkeys(AUDITED_FIELDS, None)
        for e in timelines[c.pk]:
            for ch in e.changes:
                state[ch["field"]] = ch["new"]
        now = complaint_events.snapshot(c, AUDITED_FIELDS)
        assert {f: v for f, v in state.items() if v not in (None, "")} == {
            f: v for f, v in now.items() if v not in (None, "")
        }, c.number


def test_deadlines_are_what_the_sla_services_compute(generated):
    schedule = schedule_get()
    timelines = _timelines()
    complaints = {c.pk: c for c in Complaint.objects.all()}
    deadlines = list(Deadline.objects.select_related("policy"))
    assert {d.target for d in deadlines} == {"response", "proposal", "closure"}
    by_complaint: dict[int, dict[str, Deadline]] = defaultdict(dict)
    for d in deadlines:
        by_complaint[d.complaint_id][d.target] = d
    for pk, c in complaints.items():
        times = {e.verb: e.created_at for e in timelines[pk]}
        targets = by_complaint.get(pk, {})
        assert bool(targets) == (c.triaged_at is not None), c.number
        if not targets:
            continue
        assert {"response", "closure"} <= set(targets)
        assert ("proposal" in targets) == (c.category is not None and c.category.code.startswith("quality"))
        assert targets["response"].met_at == times.get("handling_started")
        assert targets["closure"].met_at == c.closed_at
        if "proposal" in targets:
            first_resolved = next((e.created_at for e in timelines[pk] if e.verb == "resolved"), None)
            assert targets["proposal"].met_at == first_resolved
        pauses = pauses_ended(complaint_id=pk)
        for d in targets.values():
            counted = [p for p in pauses if d.met_at is None or p[1] <= d.met_at]
            due = due_compute_paused(schedule, c.received_at, d.amount, d.unit, counted)
            assert (d.due_at, d.provisional) == (due.at, due.provisional), (c.number, d.target)
            assert d.breached_at == (d.due_at if d.met_at is not None and d.met_at > d.due_at else None)
            waiting = c.status == "awaiting_customer" and d.met_at is None
            assert d.paused_at == (c.resolved_at if waiting else None)
            assert (d.next_check_at is None) == (d.met_at is not None or waiting)
    met = [d for d in deadlines if d.met_at is not None]
    late = [d for d in met if d.met_at is not None and d.met_at > d.due_at]
    assert 0.02 < len(late) / len(met) < 0.3  # mostly on time, some late
    overdue = [
        d
        for d in deadlines
        if d.met_at is None
        and d.due_at < NOW
        and complaints[d.complaint_id].status in ("triaged", "in_progress")
    ]
    assert overdue  # open complaints past their deadlines


def test_verdicts_and_pauses_follow_the_resolutions(generated):
    timelines = _timelines()
    verdicts = defaultdict(list)
    for v in CustomerVerdict.objects.order_by("recorded_at", "id"):
        verdicts[v.complaint_id].append(v)
    pauses = defaultdict(list)
    for p in ClockPause.objects.order_by("started_at", "id"):
        pauses[p.complaint_id].append(p)
    for c in Complaint.objects.all():
        answers = [e for e in timelines[c.pk] if e.verb in ("closed", "reopened")]
        assert [(v.pk, v.satisfied, v.score, v.recorded_at) for v in verdicts[c.pk]] == [
            (e.data["verdict"], e.data["satisfied"], e.data["score"], e.created_at) for e in answers
        ]
        for v in verdicts[c.pk]:
            assert (v.score is not None and 1 <= v.score <= 5) if v.satisfied else v.reopen_reason
        resolved = [e.created_at for e in timelines[c.pk] if e.verb == "resolved"]
        assert [p.started_at for p in pauses[c.pk]] == resolved
        assert [p.ended_at for p in pauses[c.pk]] == [*(e.created_at for e in answers), None][: len(resolved)]
        if verdicts[c.pk]:
            assert c.status in ("closed", "in_progress", "awaiting_customer")
    assert (
        CustomerVerdict.objects.filter(satisfied=True).count()
        == Complaint.objects.filter(status="closed").count()
    )


def test_the_services_carry_on_from_generated_states(generated, qe):
    """A generated complaint awaiting the customer closes through the real service (its open pause
    ends, the closure deadline is met); a triaged one starts its handling."""
    clock.freeze(NOW + dt.timedelta(minutes=5))
    waiting = Complaint.objects.filter(status="awaiting_customer").first()
    assert waiting is not None
    done = handling.complaint_record_verdict(complaint=waiting, actor=qe, satisfied=True, score=4)
    assert done.status == "closed"
    assert not ClockPause.objects.filter(complaint=waiting, ended_at__isnull=True).exists()
    assert Deadline.objects.get(complaint=waiting, target="closure").met_at == NOW + dt.timedelta(minutes=5)
    triaged = Complaint.objects.filter(status="triaged").first()
    assert triaged is not None
    started = handling.complaint_start_handling(complaint=triaged, actor=qe)
    assert started.status == "in_progress"
    assert Deadline.objects.get(complaint=triaged, target="response").met_at is not None


def test_rollups_equal_the_live_figures_on_generated_data(generated, gm):
    assert rollups.rollups_rebuild(now=NOW) >= 364
    _compare(gm)  # the rollup test's filters (its customers and sites name nothing here: both zero)
    product = Complaint.objects.filter(status="closed").select_related("product", "site", "customer").first()
    assert product is not None and product.product is not None and product.site is not None
    ours = [
        DashFilters(date_from=dt.date(2025, 7, 1), date_to=dt.date(2026, 6, 15)),
        DashFilters(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 3, 31), category="quality"),
        DashFilters(
            date_from=dt.date(2025, 9, 1), date_to=dt.date(2026, 6, 14), customer=product.customer.code
        ),
        DashFilters(
            date_from=dt.date(2026, 4, 1), date_to=dt.date(2026, 6, 15), product_family=product.product.family
        ),
        DashFilters(date_from=dt.date(2025, 6, 1), date_to=dt.date(2026, 6, 15), site=product.site.code),
    ]
    for f in ours:
        start, end = f.bounds()
        expected = live.counts_live(live.scope_qs(user=gm, f=f), start, end, NOW)
        assert rollup_reads.counts_from_rollups(user=gm, f=f, now=NOW) == expected, f
        assert rollup_reads.open_from_rollups(user=gm, f=f, now=NOW) == live.open_live(
            live.scope_qs(user=gm, f=f), end
        )
        assert expected.received, f
    # the figures the cockpit shows are not trivial: some late, some reopened, some unsatisfied
    year = live.counts_live(live.scope_qs(user=gm, f=ours[0]), *ours[0].bounds(), NOW)
    assert 0 < year.reopened_closed < year.closed and 0 < year.satisfied < year.verdicts and year.invalid
    for target in ("response", "closure"):
        due, met = (year.deadlines or {})[target]
        assert 0 < met < due, target
