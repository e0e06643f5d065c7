"""Where each complaint is counted (``RollupFootprint``), and which days a change to complaints touches.

A complaint's figures sit on its receipt, closing, verdict, due, first-response and 8D-closing days, and
its repeat key (customer, product, receipt, validity) decides whether later complaints count as repeats.
When complaints change, the days to recompute are those of their stored footprints and current ones
whose digest of what the day reads of the complaint differs (a triage or a verdict today leaves the
complaint's past days as they were), and, where a repeat key moved, the receipt days of the complaints
that may follow them as repeats. ``rollups`` recomputes those days; nothing that recomputes a day reads these.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Q
from django.db.models.functions import TruncDate

from closeloop.complaints.models import Complaint, ComplaintEvent, CustomerVerdict
from closeloop.complaints.workflow import Status
from closeloop.dashboards import live
from closeloop.dashboards.kpi import day_bounds, local_day, site_tz
from closeloop.dashboards.models import RollupFootprint
from closeloop.sla.models import Deadline


def _t(instant: dt.datetime | None) -> float | None:
    return None if instant is None else instant.timestamp()


def _digest(common: tuple[Any, ...], parts: list[tuple[Any, ...]]) -> int:
    """A stable 63-bit hash of what one day reads of a complaint (``repr`` of plain values: the same in
    every process, unlike ``hash``)."""
    text = "|".join([repr(common), *sorted(map(repr, parts))])
    raw = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(raw, "big") >> 1


def footprints_of(ids: set[int]) -> dict[int, RollupFootprint]:
    """Where each complaint counts now — receipt, closing, verdict, due, first-response and 8D-closing
    days — and, per day, a digest of everything that day's figures read of it (``sigs``).

    What a day reads of a complaint: on every day, its key fields (customer, category, product,
    severity, site), whether it counts (not rejected or merged) and its 8D; on its receipt day, the
    receipt and its 8D's root cause (the repeat flag also reads other complaints: see the followers);
    on its closing day, whether it is closed, when, whether it was reopened, and its receipt (the cycle
    time); on its 8D's closing day, the case's status, closing and net cost; on verdict days, each
    verdict; on due days, each deadline's target, due, met and paused times; on the days its handling
    started, the start and its receipt (the first-response time). A day whose digest did not change is
    counted as before (tests/test_rollup_refresh_random.py fails for any input left out)."""
    out: dict[int, RollupFootprint] = {}
    common: dict[int, tuple[Any, ...]] = {}
    parts: dict[int, dict[dt.date, list[tuple[Any, ...]]]] = {}
    received_at: dict[int, float | None] = {}
    for c in Complaint.objects.filter(id__in=ids).values(
        "id",
        "received_at",
        "closed_at",
        "customer_id",
        "product_id",
        "category_id",
        "severity",
        "site_id",
        "status",
        "reopen_count",
        "investigation_id",
        "investigation__closed_at",
        "investigation__status",
        "investigation__cost_total",
        "investigation__cost_recovered",
        "investigation__root_cause_category",
    ):
        cid, valid = c["id"], c["status"] not in live.NOT_VALID
        received_at[cid] = _t(c["received_at"])
        common[cid] = (
            c["customer_id"],
            c["category_id"],
            c["product_id"],
            c["severity"],
            c["site_id"],
            valid,
            c["investigation_id"],
        )
        days = parts[cid] = {}
        root_cause = c["investigation__root_cause_category"] or ""
        days.setdefault(local_day(c["received_at"]), []).append(("received", received_at[cid], root_cause))
        if c["closed_at"]:
            closing = ("closed", c["status"] == Status.CLOSED, _t(c["closed_at"]), c["reopen_count"] > 0)
            days.setdefault(local_day(c["closed_at"]), []).append((*closing, received_at[cid]))
        if c["investigation__closed_at"]:
            net = (c["investigation__cost_total"] or 0) - (c["investigation__cost_recovered"] or 0)
            case = ("case", c["investigation__status"], _t(c["investigation__closed_at"]), str(net))
            days.setdefault(local_day(c["investigation__closed_at"]), []).append(case)
        out[cid] = RollupFootprint(
            complaint_id=cid,
            customer_id=c["customer_id"],
            product_id=c["product_id"],
            received_day=local_day(c["received_at"]),
            received_at=c["received_at"],
            valid=valid,
        )
    for cid, at, satisfied, score in CustomerVerdict.objects.filter(complaint_id__in=ids).values_list(
        "complaint_id", "recorded_at", "satisfied", "score"
    ):
        parts[cid].setdefault(local_day(at), []).append(("verdict", _t(at), satisfied, score))
    for cid, due, target, met, paused in Deadline.objects.filter(complaint_id__in=ids).values_list(
        "complaint_id", "due_at", "target", "met_at", "paused_at"
    ):
        parts[cid].setdefault(local_day(due), []).append(("deadline", target, _t(due), _t(met), _t(paused)))
    # First response is counted on the day handling started (totals.day_hists).
    for cid, at in ComplaintEvent.objects.filter(complaint_id__in=ids, verb="handling_started").values_list(
        "complaint_id", "created_at"
    ):
        parts[cid].setdefault(local_day(at), []).append(("handling", _t(at), received_at[cid]))
    for cid, fp in out.items():
        by_day = parts[cid]
        fp.days = [d.isoformat() for d in sorted(by_day)]
        fp.sigs = {d.isoformat(): _digest(common[cid], by_day[d]) for d in sorted(by_day)}
    return out


# (customer, product) -> the ordinals of the received days whose repeat followers are wanted: held this
# way, not as (customer, product, date) keys, because after an import there is a key per new complaint.
Pairs = dict[tuple[int, int], set[int]]


def followers_days(keys: Iterable[tuple[int, int, dt.date]]) -> set[dt.date]:
    """Receipt days of complaints whose repeat flag may change with (customer, product, received day):
    those of the same customer and product received in the repeat window from that day on."""
    pairs: Pairs = {}
    _pairs_add(pairs, keys)
    return _followers_days(pairs)


def _pairs_add(pairs: Pairs, keys: Iterable[tuple[int, int, dt.date]]) -> None:
    for customer_id, product_id, day in keys:
        pairs.setdefault((customer_id, product_id), set()).add(day.toordinal())


def _followers_days(pairs: Pairs) -> set[dt.date]:
    """:func:`followers_days` of the keys ``pairs`` holds.

    One query per (customer, product), over the union of its days' windows, with the days made in the
    database: after an import every new complaint's key has moved, and a query per key (a 100,000-row
    import gave tens of thousands) kept the worker's refresh busy for over twenty minutes."""
    days: set[dt.date] = set()
    for (customer_id, product_id), ordinals in pairs.items():
        spans = []
        for ordinal in ordinals:
            start, _end = day_bounds(dt.date.fromordinal(ordinal))
            spans.append((start, start + live.REPEAT_WINDOW + dt.timedelta(days=2)))
        within = Q()
        for start, end in _merged(spans):
            within |= Q(received_at__gte=start, received_at__lt=end)
        days.update(
            Complaint.objects.filter(within, customer_id=customer_id, product_id=product_id)
            .order_by()  # DISTINCT over the days alone, not the model's ordering columns too
            .annotate(day=TruncDate("received_at", tzinfo=site_tz()))
            .values_list("day", flat=True)
            .distinct()
        )
    return days


def _merged(spans: list[tuple[dt.datetime, dt.datetime]]) -> list[tuple[dt.datetime, dt.datetime]]:
    """``spans`` (half-open) as the fewest disjoint spans covering the same instants, in order."""
    out: list[tuple[dt.datetime, dt.datetime]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


# Complaints whose footprints are read, compared and replaced at a time: a refresh after a large import
# meets every imported complaint, and 40,000 footprints held as objects (stored and current) took the
# worker 58 MB.
FOOTPRINT_CHUNK = 2000


def touched_days_store(ids: Sequence[int], *, every_day: bool = False) -> set[dt.date]:
    """The days the distinct complaints ``ids`` were counted on (their stored footprints) and are counted
    on now whose figures may have moved (:func:`_changed_days`; all of them when ``every_day``), with the
    days of the repeats that may follow those whose repeat key moved; their footprints are replaced by
    the current ones, a chunk of FOOTPRINT_CHUNK complaints at a time, and the followers read once for
    all. Call it inside the refresh's transaction: the days it names must be recomputed in
    the same one (nothing recomputing a day reads the footprints)."""
    dirty: set[dt.date] = set()
    pairs: Pairs = {}
    for i in range(0, len(ids), FOOTPRINT_CHUNK):
        chunk = set(ids[i : i + FOOTPRINT_CHUNK])
        days, new, moved_keys = _touched_days(chunk, every_day)
        dirty |= days
        _pairs_add(pairs, moved_keys)
        footprints_replace(chunk, new)
    return dirty | _followers_days(pairs)


def _touched_days(
    ids: set[int], every_day: bool = False
) -> tuple[set[dt.date], dict[int, RollupFootprint], set[tuple[int, int, dt.date]]]:
    """The days ``ids`` were counted on (their stored footprints) and are counted on now; their
    footprints as they are now; and the repeat keys (customer, product, received day) whose followers
    may have changed."""
    old = RollupFootprint.objects.in_bulk(list(ids))
    new = footprints_of(ids)
    dirty = {d for cid in ids for d in _changed_days(old.get(cid), new.get(cid), every_day)}
    # Followers only where the repeat key moved (or is not known): a triage, a closure or a verdict
    # leaves every other complaint's repeat flag as it was, and at a million complaints a year the days
    # of a customer's repeats of one product are most of the 90 days after each change.
    moved = [cid for cid in ids if _repeat_key_moved(old.get(cid), new.get(cid))]
    keys = {
        (fp.customer_id, fp.product_id, fp.received_day)
        for cid in moved
        for fp in (old.get(cid), new.get(cid))
        if fp is not None and fp.product_id and fp.customer_id and fp.received_day
    }
    return dirty, new, keys


def _changed_days(
    old: RollupFootprint | None, new: RollupFootprint | None, every_day: bool = False
) -> set[dt.date]:
    """The days whose figures may have moved between the stored footprint and the current one: those
    whose digest differs, and those on one side only. Every day of both when ``every_day`` (a repair) or
    when a side has no digests (no footprint yet, or one stored before they were kept)."""
    if every_day or old is None or new is None or old.sigs is None or new.sigs is None:
        return {dt.date.fromisoformat(d) for fp in (old, new) if fp is not None for d in fp.days}
    before, after = old.sigs, new.sigs
    return {dt.date.fromisoformat(d) for d in before.keys() | after.keys() if before.get(d) != after.get(d)}


def _repeat_key(fp: RollupFootprint | None) -> tuple[Any, ...] | None:
    """What another complaint's repeat flag reads of this one; None when it is not known (no footprint,
    or one stored before the key was kept)."""
    if fp is None or fp.received_at is None or fp.valid is None:
        return None
    return (fp.customer_id, fp.product_id, fp.received_at, fp.valid)


def _repeat_key_moved(old: RollupFootprint | None, new: RollupFootprint | None) -> bool:
    """Whether the repeat key may have moved between the stored footprint and the current one. A key not
    known on either side counts as moved: two unknown keys are not the same key."""
    before, after = _repeat_key(old), _repeat_key(new)
    return before is None or after is None or before != after


def footprints_replace(ids: set[int], new: dict[int, RollupFootprint]) -> None:
    RollupFootprint.objects.filter(complaint_id__in=ids).delete()
    RollupFootprint.objects.bulk_create(new.values(), batch_size=1000)
