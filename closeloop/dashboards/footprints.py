"""Where each complaint is counted (``RollupFootprint``), and which days a change to complaints touches.

A complaint's figures sit on its receipt, closing, verdict, due, first-response and 8D-closing days, and
its repeat key (customer, product, receipt, validity) decides whether later complaints count as repeats.
When complaints change, the days to recompute are those they were counted on (their stored footprints),
those they are counted on now, and, where a repeat key moved, the receipt days of the complaints that may
follow them as repeats. ``rollups`` recomputes those days; nothing that recomputes a day reads these.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Q
from django.db.models.functions import TruncDate

from closeloop.complaints.models import Complaint, ComplaintEvent, CustomerVerdict
from closeloop.dashboards import live
from closeloop.dashboards.kpi import day_bounds, local_day, site_tz
from closeloop.dashboards.models import RollupFootprint
from closeloop.sla.models import Deadline


def footprints_of(ids: set[int]) -> dict[int, RollupFootprint]:
    """Where each complaint counts now: receipt, closing, verdict, due and 8D-closing days."""
    out: dict[int, RollupFootprint] = {}
    for c in Complaint.objects.filter(id__in=ids).values(
        "id", "received_at", "closed_at", "customer_id", "product_id", "investigation__closed_at", "status"
    ):
        days = {local_day(c["received_at"])}
        for instant in (c["closed_at"], c["investigation__closed_at"]):
            if instant:
                days.add(local_day(instant))
        out[c["id"]] = RollupFootprint(
            complaint_id=c["id"],
            customer_id=c["customer_id"],
            product_id=c["product_id"],
            received_day=local_day(c["received_at"]),
            received_at=c["received_at"],
            valid=c["status"] not in live.NOT_VALID,
            days=sorted(days),
        )
    for cid, instant in [
        *CustomerVerdict.objects.filter(complaint_id__in=ids).values_list("complaint_id", "recorded_at"),
        *Deadline.objects.filter(complaint_id__in=ids).values_list("complaint_id", "due_at"),
        # First response is counted on the day handling started (totals.day_hists).
        *ComplaintEvent.objects.filter(complaint_id__in=ids, verb="handling_started").values_list(
            "complaint_id", "created_at"
        ),
    ]:
        fp = out[cid]
        fp.days = sorted({*fp.days, local_day(instant)})
    for fp in out.values():
        fp.days = [d.isoformat() if isinstance(d, dt.date) else d for d in fp.days]
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


def touched_days_store(ids: Sequence[int]) -> set[dt.date]:
    """The days the distinct complaints ``ids`` were counted on (their stored footprints) and are counted
    on now, with the days of the repeats that may follow those whose repeat key moved; their footprints
    are replaced by the current ones, a chunk of FOOTPRINT_CHUNK complaints at a time, and the followers
    read once for all. Call it inside the refresh's transaction: the days it names must be recomputed in
    the same one (nothing recomputing a day reads the footprints)."""
    dirty: set[dt.date] = set()
    pairs: Pairs = {}
    for i in range(0, len(ids), FOOTPRINT_CHUNK):
        chunk = set(ids[i : i + FOOTPRINT_CHUNK])
        days, new, moved_keys = _touched_days(chunk)
        dirty |= days
        _pairs_add(pairs, moved_keys)
        footprints_replace(chunk, new)
    return dirty | _followers_days(pairs)


def _touched_days(
    ids: set[int],
) -> tuple[set[dt.date], dict[int, RollupFootprint], set[tuple[int, int, dt.date]]]:
    """The days ``ids`` were counted on (their stored footprints) and are counted on now; their
    footprints as they are now; and the repeat keys (customer, product, received day) whose followers
    may have changed."""
    old = RollupFootprint.objects.in_bulk(list(ids))
    new = footprints_of(ids)
    dirty = {dt.date.fromisoformat(d) for fp in [*old.values(), *new.values()] for d in fp.days}
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
