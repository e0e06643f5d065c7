"""Where each complaint is counted (``RollupFootprint``), and which days a change to complaints touches.

A complaint's figures sit on its receipt, closing, verdict, due, first-response and 8D-closing days, and
its repeat key (customer, product, receipt, validity) decides whether later complaints count as repeats.
When complaints change, the days to recompute are those of their stored footprints and current ones
whose digest of what the day reads of the complaint differs (a verdict today leaves the complaint's past
days as they were), and, where a repeat key moved, the receipt days of the complaints that may follow
them as repeats. What a complaint's deadlines add to their due days is kept as it is, not digested: a
change that moves only deadlines there (a triage planning them, a deadline met or paused) moves those
days' deadline figures by the difference (``deadline_deltas``). ``rollups`` recomputes the days and
applies the differences; nothing that recomputes a day reads the footprints.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.db.models.functions import TruncDate

from closeloop.complaints.models import Complaint, ComplaintEvent, CustomerVerdict
from closeloop.complaints.workflow import Status
from closeloop.dashboards import live
from closeloop.dashboards.kpi import day_bounds, local_day, site_tz
from closeloop.dashboards.models import RollupFootprint
from closeloop.sla.models import Deadline

# The key of ``sigs`` whose digest covers what every day reads of the complaint (its key fields, whether
# it counts, its 8D): when it moves, every day does.
COMMON = "*"
# A day's deadline figures moved by the complaints that changed: (rollup key, target) -> [due, met].
DeadlineDelta = dict[tuple[tuple[Any, ...], str], list[int]]


@dataclass
class Touched:
    """What a change to complaints moves: ``days`` to recompute whole, and the days whose deadline
    figures alone moved, each with the difference to add (deadline_deltas.py). A day in ``days`` is
    recomputed whole whatever ``deadlines`` holds for it."""

    days: set[dt.date] = field(default_factory=set)
    deadlines: dict[dt.date, DeadlineDelta] = field(default_factory=dict)

    def add(self, days: set[dt.date], deadlines: dict[dt.date, DeadlineDelta]) -> None:
        self.days |= days
        for day, delta in deadlines.items():
            slots = self.deadlines.setdefault(day, {})
            for key, (due, met) in delta.items():
                slot = slots.setdefault(key, [0, 0])
                slot[0] += due
                slot[1] += met


def _t(instant: dt.datetime | None) -> float | None:
    return None if instant is None else instant.timestamp()


def _digest(common: tuple[Any, ...], parts: list[tuple[Any, ...]]) -> int:
    """A stable 63-bit hash of what one day reads of a complaint (``repr`` of plain values: the same in
    every process, unlike ``hash``)."""
    text = "|".join([repr(common), *sorted(map(repr, parts))])
    raw = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(raw, "big") >> 1


def _counted(target: str, due: dt.datetime, met: dt.datetime | None, paused: dt.datetime | None) -> Any:
    """What a deadline adds to its due day once that day is over: ``[target, met on time]`` when it
    counts in the timely rate (live.deadline_counted_q: met, or unmet and not paused before it was
    due; the day being over, it is past due), None when it does not."""
    if met is None and paused is not None and paused < due:
        return None
    return [target, met is not None and met <= due]


def footprints_of(ids: set[int]) -> dict[int, RollupFootprint]:
    """Where each complaint counts now — receipt, closing, verdict, due, first-response and 8D-closing
    days — with, per day, a digest of everything but the deadlines that day's figures read of it
    (``sigs``), and what its deadlines add to each due day (``deadlines``).

    What a day reads of a complaint: on every day, its key fields (customer, category, product and its
    family, severity, site), whether it counts (not rejected or merged) and its 8D — their digest is
    ``sigs["*"]``, and a change to it moves every day; on its receipt day, the receipt and its 8D's root
    cause (the repeat flag also reads other complaints: see the followers); on its closing day, whether
    it is closed, when, whether it was reopened, and its receipt (the cycle time); on its 8D's closing
    day, the case's status, closing and net cost; on verdict days, each verdict; on the days its
    handling started, the start and its receipt (the first-response time). A day whose digest did not
    change is counted as before (tests/test_rollup_refresh_random.py fails for any input left out).

    Deadlines are kept as what they add, not digested: ``deadlines["k"]`` is the complaint's rollup key
    (slices.ROLLUP_KEYS) and ``deadlines["d"]`` maps each due day to the sorted ``[target, met on
    time]`` of the deadlines that count there (none for a complaint that does not count), so a change
    that moves only deadlines is applied to its days' deadline figures as a difference
    (deadline_deltas.py) instead of recomputing them."""
    out: dict[int, RollupFootprint] = {}
    common: dict[int, tuple[Any, ...]] = {}
    parts: dict[int, dict[dt.date, list[tuple[Any, ...]]]] = {}
    due_days: dict[int, dict[dt.date, list[Any]]] = {}
    received_at: dict[int, float | None] = {}
    keys: dict[int, list[Any]] = {}
    for c in Complaint.objects.filter(id__in=ids).values(
        "id",
        "received_at",
        "closed_at",
        "customer_id",
        "product_id",
        "product__family",
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
        family = c["product__family"] or ""
        common[cid] = (
            c["customer_id"],
            c["category_id"],
            c["product_id"],
            c["severity"],
            c["site_id"],
            valid,
            c["investigation_id"],
            family,
        )
        days = parts[cid] = {}
        due_days[cid] = {}
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
        keys[cid] = [c["customer_id"], c["category_id"], family, c["severity"], c["site_id"]]
    for cid, at, satisfied, score in CustomerVerdict.objects.filter(complaint_id__in=ids).values_list(
        "complaint_id", "recorded_at", "satisfied", "score"
    ):
        parts[cid].setdefault(local_day(at), []).append(("verdict", _t(at), satisfied, score))
    for cid, due, target, met, paused in Deadline.objects.filter(complaint_id__in=ids).values_list(
        "complaint_id", "due_at", "target", "met_at", "paused_at"
    ):
        counted = _counted(target, due, met, paused) if common[cid][5] else None
        pairs = due_days[cid].setdefault(local_day(due), [])
        if counted is not None:
            pairs.append(counted)
    # First response is counted on the day handling started (totals.day_hists).
    for cid, at in ComplaintEvent.objects.filter(complaint_id__in=ids, verb="handling_started").values_list(
        "complaint_id", "created_at"
    ):
        parts[cid].setdefault(local_day(at), []).append(("handling", _t(at), received_at[cid]))
    for cid, fp in out.items():
        by_day, dues = parts[cid], due_days[cid]
        fp.days = [d.isoformat() for d in sorted(by_day.keys() | dues.keys())]
        fp.sigs = {d.isoformat(): _digest(common[cid], by_day[d]) for d in sorted(by_day)}
        fp.sigs[COMMON] = _digest(common[cid], [])
        fp.deadlines = {
            "k": keys[cid],
            "d": {d.isoformat(): sorted(pairs) for d, pairs in sorted(dues.items()) if pairs},
        }
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


def touched_days_store(ids: Sequence[int], *, every_day: bool = False) -> Touched:
    """What the distinct complaints ``ids`` move (:func:`_changed_days`), from their stored footprints
    to the current ones: the days to recompute whole (every day of both when ``every_day``), with the
    days of the repeats that may follow those whose repeat key moved, and the days whose deadline
    figures alone moved, with the difference. Their footprints are replaced by the current ones, a chunk
    of FOOTPRINT_CHUNK complaints at a time, and the followers read once for all. Call it inside the
    refresh's transaction: what it names must be recomputed or applied in the same one (nothing
    recomputing a day reads the footprints)."""
    touched = Touched()
    pairs: Pairs = {}
    for i in range(0, len(ids), FOOTPRINT_CHUNK):
        chunk = set(ids[i : i + FOOTPRINT_CHUNK])
        old = RollupFootprint.objects.in_bulk(list(chunk))
        new = footprints_of(chunk)
        for cid in chunk:
            touched.add(*_changed_days(old.get(cid), new.get(cid), every_day))
        _pairs_add(pairs, _moved_keys(chunk, old, new))
        footprints_replace(chunk, new)
    touched.days |= _followers_days(pairs)
    return touched


def _moved_keys(
    ids: set[int], old: dict[int, RollupFootprint], new: dict[int, RollupFootprint]
) -> set[tuple[int, int, dt.date]]:
    """The repeat keys (customer, product, received day) whose followers may have changed. Followers only
    where the repeat key moved (or is not known): a triage, a closure or a verdict leaves every other
    complaint's repeat flag as it was, and at a million complaints a year the days of a customer's
    repeats of one product are most of the 90 days after each change."""
    moved = [cid for cid in ids if _repeat_key_moved(old.get(cid), new.get(cid))]
    return {
        (fp.customer_id, fp.product_id, fp.received_day)
        for cid in moved
        for fp in (old.get(cid), new.get(cid))
        if fp is not None and fp.product_id and fp.customer_id and fp.received_day
    }


def _split(fp: RollupFootprint | None) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The digests and deadlines of ``fp``; None when there is none, or when it was stored before its
    deadlines were kept apart from its digests."""
    if fp is None or fp.sigs is None or fp.deadlines is None or COMMON not in fp.sigs:
        return None
    return fp.sigs, fp.deadlines


def _changed_days(
    old: RollupFootprint | None, new: RollupFootprint | None, every_day: bool = False
) -> tuple[set[dt.date], dict[dt.date, DeadlineDelta]]:
    """What moved between the stored footprint and the current one: the days to recompute whole — those
    whose digest differs, and those on one side only — and the days whose deadline figures differ, with
    the difference. Every day of both whole when ``every_day`` (a repair), when the digest common to all
    days moved (a key field, whether it counts, its 8D), or when a side is missing or was stored before
    deadlines were kept apart."""
    before, after = _split(old), _split(new)
    if not every_day and before is not None and after is not None and before[0][COMMON] == after[0][COMMON]:
        sigs_before, sigs_after = before[0], after[0]
        days = {
            dt.date.fromisoformat(d)
            for d in sigs_before.keys() | sigs_after.keys()
            if d != COMMON and sigs_before.get(d) != sigs_after.get(d)
        }
        return days, _deadline_deltas(before[1], after[1])
    return {dt.date.fromisoformat(d) for fp in (old, new) if fp is not None for d in fp.days}, {}


def _deadline_deltas(old: dict[str, Any], new: dict[str, Any]) -> dict[dt.date, DeadlineDelta]:
    """Per due day, what the current deadlines (``new``, a footprint's ``deadlines``) add less what the
    stored ones added, on the complaint's rollup key (the same on both sides: the common digest did
    not move)."""
    before, after = old["d"], new["d"]
    key = tuple(new["k"])
    out: dict[dt.date, DeadlineDelta] = {}
    for day in before.keys() | after.keys():
        if before.get(day) == after.get(day):
            continue
        delta: DeadlineDelta = {}
        for sign, pairs in ((-1, before.get(day, [])), (1, after.get(day, []))):
            for target, met in pairs:
                slot = delta.setdefault((key, target), [0, 0])
                slot[0] += sign
                slot[1] += sign * int(met)
        if moved := {k: v for k, v in delta.items() if v != [0, 0]}:
            out[dt.date.fromisoformat(day)] = moved
    return out


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
