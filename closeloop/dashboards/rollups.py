"""Maintaining the daily rollups (reading them is ``rollup_reads``).

Maintenance is a worker job (``rollups_refresh``, every 60 s from beat), not a hook inside the
services: every change that moves a figure already writes a timeline row in its transaction
(ComplaintEvent: created, triaged, handling_started, clock_paused/resumed, closed, reopened,
marked_invalid/duplicate ...; InvestigationEvent for 8D closure and D8 cost), so the job recomputes the
days touched by complaints with events since its last run — plus, through RollupFootprint, the days
those complaints were counted on before, and the days of the repeat complaints that follow them.
Figures are therefore updated within about a minute.

The watermark is the instant before which every timeline row was visible to the last run
(:func:`_settled_before`): a transaction may commit after a later one, so rows written shortly before
a run may only appear after it. On PostgreSQL that instant is the start of the oldest transaction then
open, less ``MARGIN``; elsewhere the run's start less ``OVERLAP``. Recomputing a day twice is harmless;
the narrower window spares the run after a large import most of its repeated work.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from array import array
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from closeloop.complaints.listing import repeat_q
from closeloop.complaints.models import Complaint, ComplaintEvent, CustomerVerdict
from closeloop.complaints.workflow import Status
from closeloop.core import clock
from closeloop.dashboards import blocks, deadline_deltas, durations, footprints, live, slices, totals
from closeloop.dashboards.kpi import day_bounds, local_day
from closeloop.dashboards.models import (
    DailyRollup,
    DayMarginal,
    DayTotal,
    DeadlineRollup,
    DurationBlock,
    RollupFootprint,
    RollupState,
)
from closeloop.investigations.models import InvestigationEvent
from closeloop.investigations.workflow import CaseStatus
from closeloop.sla.models import Deadline

logger = logging.getLogger(__name__)

OVERLAP = dt.timedelta(minutes=5)
# The timestamps of a transaction's rows are taken by the application, a little after the transaction
# began (or, by a server whose clock runs slow, a little before): a minute covers both on servers
# whose clocks are kept in time (NTP).
MARGIN = dt.timedelta(minutes=1)
# No transaction of the application stays open this long; one that does is a session left idle.
LOOKBACK_MAX = dt.timedelta(hours=1)
KEYS = slices.ROLLUP_KEYS


def _keyed(qs: QuerySet[Any], prefix: str = "") -> QuerySet[Any]:
    # Aliased k_*: an annotation may not share its name with a field of the model it reads.
    return qs.values(
        k_customer_id=F(f"{prefix}customer_id"),
        k_category_id=F(f"{prefix}category_id"),
        k_product_family=Coalesce(f"{prefix}product__family", models_empty()),
        k_severity=F(f"{prefix}severity"),
        k_site_id=F(f"{prefix}site_id"),
    ).order_by()


def models_empty() -> Any:
    from django.db.models import Value

    return Value("")


def rollup_day_compute(
    *, day: dt.date, now: dt.datetime, parents: dict[int, int | None] | None = None
) -> dict[tuple[str, str], durations.Hist]:
    """Replace the rollup rows of ``day`` with figures computed live as of ``now``, keyed and per slice
    (totals.py). Returns the day's duration histograms per (slice, kind), for blocks.day_store."""
    start, end = day_bounds(day)
    parents = slices.category_parents() if parents is None else parents
    rows: dict[tuple[Any, ...], dict[str, Any]] = {}

    def add(qs: QuerySet[Any], **aggregates: Any) -> None:
        # Aliased: an aggregate may not share its name with a field of the model it reads.
        for r in qs.annotate(**{f"n_{name}": agg for name, agg in aggregates.items()}):
            key = tuple(r[f"k_{k}"] for k in KEYS)
            slot = rows.setdefault(key, {})
            for name in aggregates:
                slot[name] = slot.get(name, 0) + (r[f"n_{name}"] or 0)

    cq = Complaint.objects.all()
    add(
        _keyed(cq.filter(received_at__gte=start, received_at__lt=end)),
        received=Count("id", filter=~Q(status__in=live.NOT_VALID)),
        invalid=Count("id", filter=Q(status__in=live.NOT_VALID)),
    )
    add(
        _keyed(
            live.valid(cq)
            .filter(received_at__gte=start, received_at__lt=end, product_id__isnull=False)
            .filter(repeat_q())
        ),
        repeat=Count("id"),
    )
    add(
        _keyed(cq.filter(status=Status.CLOSED, closed_at__gte=start, closed_at__lt=end)),
        closed=Count("id"),
        reopened_closed=Count("id", filter=Q(reopen_count__gt=0)),
    )
    verdicts = CustomerVerdict.objects.filter(recorded_at__gte=start, recorded_at__lt=end).exclude(
        complaint__status__in=live.NOT_VALID
    )
    add(
        _keyed(verdicts, "complaint__"),
        verdicts=Count("id"),
        satisfied=Count("id", filter=Q(satisfied=True)),
        score_sum=Sum("score", filter=Q(satisfied=True)),
        score_count=Count("score", filter=Q(satisfied=True)),
    )
    primaries = live.primary_complaint_ids().filter(
        investigation__status=CaseStatus.CLOSED,
        investigation__closed_at__gte=start,
        investigation__closed_at__lt=end,
    )
    add(_keyed(primaries), copq=Sum(F("investigation__cost_total") - F("investigation__cost_recovered")))
    deadline_rows = (
        _keyed(
            Deadline.objects.filter(due_at__gte=start, due_at__lt=end)
            .exclude(complaint__status__in=live.NOT_VALID)
            .filter(live.deadline_counted_q(now)),
            "complaint__",
        )
        .values(*(f"k_{k}" for k in KEYS), "target")
        .annotate(n_due=Count("id"), n_met=Count("id", filter=Q(met_at__lte=F("due_at"))))
    )
    deadline_list = list(deadline_rows)
    with transaction.atomic():
        DailyRollup.objects.filter(day=day).delete()
        DeadlineRollup.objects.filter(day=day).delete()
        DailyRollup.objects.bulk_create(
            DailyRollup(day=day, **dict(zip(KEYS, key, strict=True)), **figures)
            for key, figures in rows.items()
        )
        DeadlineRollup.objects.bulk_create(
            DeadlineRollup(
                day=day, target=r["target"], due=r["n_due"], met=r["n_met"], **{k: r[f"k_{k}"] for k in KEYS}
            )
            for r in deadline_list
        )
        totals.day_total_store(day, rows, deadline_list, parents)
        totals.day_marginals_store(day, start, end, parents)
    return totals.day_hists(start, end, parents)


def complaints_changed(since: dt.datetime, until: dt.datetime | None = None) -> array[int]:
    """The complaints with a timeline row (theirs, or their 8D's) written from ``since`` (until ``until``,
    excluded): those whose figures may have moved. Distinct ids in ascending order, made distinct and
    ordered by the database and held as machine integers: after a large import they are hundreds of
    thousands, and as a set of Python ints 290,000 of them took the worker 20 MB."""
    events = ComplaintEvent.objects.filter(created_at__gte=since)
    case_events = InvestigationEvent.objects.filter(created_at__gte=since)
    if until is not None:
        events, case_events = events.filter(created_at__lt=until), case_events.filter(created_at__lt=until)
    by_case = Complaint.objects.filter(investigation_id__in=case_events.values("investigation_id"))
    ids = (
        events.order_by()
        .values_list("complaint_id", flat=True)
        .union(by_case.order_by().values_list("id", flat=True))
        .order_by("complaint_id")
    )
    return array("q", ids.iterator(chunk_size=10_000))


def _settled_before(now: dt.datetime) -> dt.datetime:
    """An instant before which every timeline row that will ever commit is already visible: call it
    before the snapshot that reads the changes is taken (before :func:`_rollups_transaction`: a
    transaction that commits between the two would be neither open here nor visible there), and store
    it as the next run's watermark.

    On PostgreSQL a row not yet visible belongs to a transaction open now (which began at or after the
    oldest such start) or to one that begins later (after ``now``), so the instant is the earlier of
    ``now`` and the oldest start of a transaction open on this database (other than this one), less
    ``MARGIN`` — but never more than ``LOOKBACK_MAX`` before ``now``: a session left idle in a
    transaction (a forgotten ``BEGIN`` in psql) would otherwise make every run redo all the changes
    since it began; it is logged instead. Elsewhere (SQLite, one writer at a time), ``now`` less
    ``OVERLAP``. Sessions of other database roles are not visible without ``pg_read_all_stats``; the
    application's all use one role."""
    if connection.vendor != "postgresql":
        return now - OVERLAP
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(xact_start) FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
        )
        oldest = cursor.fetchone()[0]
    settled = (now if oldest is None else min(now, oldest)) - MARGIN
    if settled < now - LOOKBACK_MAX:
        logger.warning(
            "rollups: a transaction has been open on the database since %s; changes it writes with "
            "older timestamps may be missed (look for a session idle in transaction)",
            oldest,
        )
        return now - LOOKBACK_MAX
    return settled


def _partial_day(today: dt.date, now: dt.datetime) -> None:
    """Roll up today as it stands at ``now`` (the day is recomputed whole once it is over). Its duration
    histograms stay in their level-0 blocks: carrying a day that changes every minute into the blocks
    above would rewrite eleven blocks per slice a minute (blocks.period_parts reads it apart)."""
    blocks.day_store(today, rollup_day_compute(day=today, now=now))


# The tables of daily rollups: what a full rebuild deletes and writes again.
ROLLUP_MODELS = (DailyRollup, DeadlineRollup, DayTotal, DayMarginal, DurationBlock)


def rollups_rebuild(
    *, since: dt.date | None = None, now: dt.datetime | None = None, settled: dt.datetime | None = None
) -> int:
    """Recompute every day from ``since`` (default: the first complaint's day) to yesterday, and the
    footprints. Returns the number of days computed. For a first install or after a repair. ``settled``:
    the next refresh's watermark when the caller took it before its transaction's snapshot
    (:func:`_rollups_transaction`); by default taken here.

    From ``since`` on, the days before it keep their rows, so a partial rebuild first does what the
    refresh has not done yet: the days those rows miss — not rolled up since the last refresh
    (``since`` moves back to them), or touched by changes the refresh has not seen — are recomputed
    too. The footprints replaced below would otherwise hide those changes from every later refresh."""
    now = now or clock.now()
    today = local_day(now)
    settled = settled or _settled_before(now)
    first = Complaint.objects.order_by("received_at").values_list("received_at", flat=True).first()
    pending: set[dt.date] = set()
    before = RollupState.objects.filter(pk=1).first() if since is not None else None
    if since is not None and before is not None and before.complete_until is not None:
        since = min(since, before.complete_until)
        if before.watermark is not None:
            touched = footprints.touched_days_store(complaints_changed(before.watermark))
            pending = {d for d in touched.days | touched.deadlines.keys() if d < since}
    start_day = today if first is None else since or local_day(first)
    if since is None:
        for model in ROLLUP_MODELS:
            model._default_manager.all().delete()
    parents = slices.category_parents()
    changed = {}
    for day in sorted(pending):
        changed[day] = blocks.day_store(day, rollup_day_compute(day=day, now=now, parents=parents))
    # A day the last refresh rolled up as today has its level-0 blocks alone: carried up now it is over.
    unended = before.complete_until if before is not None and before.complete_until is not None else today
    day, n = start_day, len(pending)
    while day < today:
        ended = blocks.day_keys(day) if day >= unended else set()
        changed[day] = ended | blocks.day_store(day, rollup_day_compute(day=day, now=now, parents=parents))
        day, n = day + dt.timedelta(days=1), n + 1
    blocks.levels_recompute(changed)
    RollupFootprint.objects.all().delete()
    # In chunks: one IN list of a million ids is a query PostgreSQL and SQLite refuse or crawl through.
    last_id = 0
    while chunk := list(
        Complaint.objects.filter(id__gt=last_id)
        .order_by("id")
        .values_list("id", flat=True)[: footprints.FOOTPRINT_CHUNK]
    ):
        RollupFootprint.objects.bulk_create(footprints.footprints_of(set(chunk)).values(), batch_size=1000)
        last_id = chunk[-1]
    # Last, and as of the end: the footprints of a million complaints take minutes.
    totals.snapshots_refresh(max(now, clock.now()))
    end = max(now, clock.now())
    _partial_day(today, end)
    state = {"complete_until": today, "watermark": settled, "partial_day": today, "partial_at": end}
    RollupState.objects.update_or_create(pk=1, defaults=state)
    return n


def rollups_rebuild_exclusive(*, since: dt.date | None = None) -> int:
    """``rollups_rebuild`` as one transaction holding the rollups' lock (the command's way): the
    worker's refresh waits for it instead of interleaving, and on PostgreSQL the cockpit reads the old
    rows until the new ones commit."""
    settled = _settled_before(clock.now())
    with _rollups_transaction():
        return rollups_rebuild(since=since, settled=settled)


@contextlib.contextmanager
def _rollups_transaction() -> Iterator[RollupState | None]:
    """The transaction every writer of the rollups runs in, yielding the state row (None before the
    first rebuild): writers take turns on the rollups' lock, and on PostgreSQL each reads one snapshot
    of the database throughout (REPEATABLE READ), taken once the lock is held.

    Why one snapshot: a day recomputed whole must count each complaint as the footprint stored in the
    same transaction records it. Read at two moments (READ COMMITTED), a complaint changed between the
    two would be counted on the day as it is now but remembered as it was: its next change's deadline
    difference would then be added twice (deadline_deltas.py), or a rebuild's footprint would record a
    state the days never counted, and the next change's digests would not move. SQLite's IMMEDIATE
    transactions keep other writers out until they end already. In a transaction already open (the
    tests'), its isolation is kept.

    ``LOCK TABLE`` takes no snapshot (the first query after it does), so a writer that waited for
    another reads what that one committed, and none fails to serialize. The lock's mode lets the
    cockpit read the state row meanwhile."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute(f"LOCK TABLE {RollupState._meta.db_table} IN EXCLUSIVE MODE")
        yield RollupState.objects.select_for_update().filter(pk=1).first()


def _days_recompute(days: list[dt.date], *, complete_until: dt.date, now: dt.datetime) -> None:
    parents = slices.category_parents()
    changed = {}
    for d in days:
        # A day rolled up while it was today enters the blocks above it now that it is over.
        ended = blocks.day_keys(d) if d >= complete_until else set()
        changed[d] = ended | blocks.day_store(d, rollup_day_compute(day=d, now=now, parents=parents))
    blocks.levels_recompute(changed)


def _deltas_then_days(
    touched: footprints.Touched, whole: set[dt.date], *, complete_until: dt.date, until: dt.date
) -> list[dt.date]:
    """Apply the deadline differences of the rolled-up days (before ``complete_until``) not recomputed
    whole (deadline_deltas.py), and return the days to recompute whole: those of ``whole`` before
    ``until``, with any whose difference could not be applied."""
    deltas = {d: x for d, x in touched.deadlines.items() if d < complete_until and d not in whole}
    failed = deadline_deltas.deltas_apply(deltas, slices.category_parents()) if deltas else set()
    return sorted({d for d in whole if d < until} | failed)


def rollups_recompute(
    complaint_ids: Iterable[int],
    *,
    now: dt.datetime | None = None,
    every_day: bool = True,
    out: dict[str, int] | None = None,
) -> int:
    """Recompute the finished days the complaints ``complaint_ids`` touch — the days they were counted on
    and are counted on now, and their repeat followers' — and store their footprints, as
    :func:`rollups_refresh` does for the complaints changed since its last run; the days it has not
    finished yet are left to it. For a repair after complaints were changed outside the services (raw
    SQL writes no timeline row, so the refresh does not see them), and for the bench's day of changes.
    ``every_day`` (the default, for a repair): every day of their stored and current footprints, even
    those whose digest has not moved; false: only those the refresh would recompute. Returns the number
    of days recomputed whole: 0 before the first rebuild; ``out``, when given, also gets the number of
    days whose deadline figures were moved by a difference (``deadline_days``). Takes the rollups'
    lock."""
    now = now or clock.now()
    with _rollups_transaction() as state:
        if state is None or state.complete_until is None:
            return 0
        touched = footprints.touched_days_store(sorted(set(complaint_ids)), every_day=every_day)
        todo = _deltas_then_days(
            touched, touched.days, complete_until=state.complete_until, until=state.complete_until
        )
        _days_recompute(todo, complete_until=state.complete_until, now=now)
    if out is not None:
        out["deadline_days"] = len({d for d in touched.deadlines if d < state.complete_until} - set(todo))
    return len(todo)


def rollups_refresh(*, now: dt.datetime | None = None) -> int:
    """Bring the rollups up to date: the days touched since the last run, and the days that ended since.
    Returns the number of days recomputed. Takes the state row's lock, so two workers never interleave."""
    now = now or clock.now()
    today = local_day(now)
    settled = _settled_before(now)  # before the snapshot: see _settled_before
    with _rollups_transaction() as state:
        if state is None or state.complete_until is None or state.watermark is None:
            return rollups_rebuild(now=now, settled=settled)
        ids = complaints_changed(state.watermark)
        touched = footprints.touched_days_store(ids)
        dirty = set(touched.days)
        day = state.complete_until
        while day < today:
            dirty.add(day)
            day += dt.timedelta(days=1)
        todo = _deltas_then_days(touched, dirty, complete_until=state.complete_until, until=today)
        _days_recompute(todo, complete_until=state.complete_until, now=now)
        totals.snapshots_refresh(max(now, clock.now()))  # as of the end: a big refresh takes minutes
        end = max(now, clock.now())
        _partial_day(today, end)
        state.complete_until, state.watermark = today, settled
        state.partial_day, state.partial_at = today, end
        state.save()
    return len(todo)
