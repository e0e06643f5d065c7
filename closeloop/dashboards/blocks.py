"""Duration histograms in dyadic blocks of days (models.DurationBlock), per slice and kind.

Day ``d`` has the number ``n = (d - EPOCH).days``; the block ``(level k, index i)`` holds the days
``i * 2**k`` … ``(i + 1) * 2**k - 1``. A period is tiled by at most two blocks per level (``cover``), so
the durations of any period up to three years are those of about twenty stored rows, and changing a day
rewrites its level-0 block and the ``MAX_LEVEL`` blocks above it — never the days after it, as running
totals would. Blocks hold durations.Sorted histograms; empty blocks are not stored. A block is written,
never updated: a changed block is a new row with the digest of its new data, by which readers hold the
decoded histograms (:data:`DECODED`).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Mapping

from django.db.models import Q

from closeloop.dashboards import durations
from closeloop.dashboards.models import DurationBlock

EPOCH = dt.date(2000, 1, 3)
# 2**10 days: a three-year window (kpi.MAX_DAYS) is then tiled by at most 2 blocks per level.
MAX_LEVEL = 10

Key = tuple[str, str]  # (slice, kind)


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def cover(first: dt.date, last: dt.date) -> list[tuple[int, int]]:
    """The blocks ``(level, index)`` that tile the days ``first``…``last`` exactly (none when empty)."""
    a, b = day_number(first), day_number(last)
    out = []
    while a <= b:
        k = 0
        while k < MAX_LEVEL and a % (2 << k) == 0 and a + (2 << k) - 1 <= b:
            k += 1
        out.append((k, a >> k))
        a += 1 << k
    return out


def day_store(day: dt.date, hists: Mapping[Key, durations.Hist]) -> set[Key]:
    """Replace the level-0 blocks of ``day`` by ``hists`` (a slice and kind missing from it is empty
    that day). Returns the (slice, kind) whose block changed: the caller passes them, per day, to
    :func:`levels_recompute` once it has stored all the days it computes."""
    n = day_number(day)
    stored = {(b.slice, b.kind): b for b in DurationBlock.objects.filter(level=0, index=n)}
    changed: set[Key] = set()
    create, delete = [], []
    for key, old in stored.items():
        if not hists.get(key):
            delete.append(old.pk)
            changed.add(key)
    for (s, kind), h in hists.items():
        if not h:
            continue
        new = durations.Sorted.of(h)
        before = stored.get((s, kind))
        if before is not None and durations.Sorted.from_json(before.hist) == new:
            continue
        if before is not None:
            delete.append(before.pk)
        create.append(_block(s, kind, 0, n, new))
        changed.add((s, kind))
    DurationBlock.objects.filter(pk__in=delete).delete()
    DurationBlock.objects.bulk_create(create, batch_size=200)
    return changed


# Parents recomputed per read: bounds the histograms held in memory while a year is rebuilt.
CHUNK = 32


def levels_recompute(changed: Mapping[dt.date, set[Key]]) -> None:
    """Redo, level by level, the blocks above the days ``changed`` (day -> the (slice, kind) whose
    level-0 block changed), one slice and kind at a time and ``CHUNK`` parents per read."""
    by_key: dict[Key, set[int]] = defaultdict(set)
    for day, keys in changed.items():
        for key in keys:
            by_key[key].add(day_number(day))
    for (s, kind), numbers in sorted(by_key.items()):
        dirty = numbers
        for level in range(1, MAX_LEVEL + 1):
            dirty = {i >> 1 for i in dirty}
            ordered = sorted(dirty)
            for at in range(0, len(ordered), CHUNK):
                _parents_recompute(s, kind, level, ordered[at : at + CHUNK])


def _parents_recompute(s: str, kind: str, level: int, parents: list[int]) -> None:
    children: dict[int, list[durations.Sorted]] = defaultdict(list)
    for index, hist in DurationBlock.objects.filter(
        slice=s, kind=kind, level=level - 1, index__in=[i for p in parents for i in (2 * p, 2 * p + 1)]
    ).values_list("index", "hist"):
        children[index >> 1].append(durations.Sorted.from_json(hist))
    DurationBlock.objects.filter(slice=s, kind=kind, level=level, index__in=parents).delete()
    DurationBlock.objects.bulk_create(
        (_block(s, kind, level, p, durations.merged(children[p])) for p in parents if children.get(p)),
        batch_size=200,
    )


def _block(s: str, kind: str, level: int, index: int, hist: durations.Sorted) -> DurationBlock:
    stored = hist.to_json()
    return DurationBlock(
        slice=s, kind=kind, level=level, index=index, hist=stored, digest=durations.digest_of(stored)
    )


def day_keys(day: dt.date) -> set[Key]:
    """The (slice, kind) with a level-0 block on ``day``."""
    return set(DurationBlock.objects.filter(level=0, index=day_number(day)).values_list("slice", "kind"))


def period_parts(
    s: str, periods: Iterable[tuple[dt.date, dt.date]], today: dt.date
) -> list[dict[str, list[durations.Sorted]]]:
    """For each period ``(first, last)``: kind -> the slice's blocks that tile those days (their
    durations together are the period's; durations.percentile_of reads them as they are). ``today``
    is read from its level-0 block alone: the worker rolls it up every minute as it stands, and only
    carries a day into the blocks above once it is over (rollups.py). One query for all periods."""
    wanted = []
    for first, last in periods:
        if first <= today <= last:
            wanted.append([*cover(first, today - dt.timedelta(days=1)), (0, day_number(today))])
        else:
            wanted.append(cover(first, last))
    by_level: dict[int, set[int]] = defaultdict(set)
    for tiles in wanted:
        for level, index in tiles:
            by_level[level].add(index)
    found: dict[tuple[int, int, str], durations.Sorted] = {}
    if by_level:
        q = Q()
        for level, indexes in by_level.items():
            q |= Q(level=level, index__in=sorted(indexes))
        rows = DurationBlock.objects.filter(q, slice=s)
        held = _held(list(rows.values_list("pk", "level", "index", "kind", "digest")))
        # None: a block was replaced between the two reads, so they are read whole, once.
        found = (
            held
            if held is not None
            else {
                (level, index, kind): durations.Sorted.from_json(hist)
                for level, index, kind, hist in rows.values_list("level", "index", "kind", "hist")
            }
        )
    return [
        {
            kind: [found[(lv, i, kind)] for lv, i in tiles if (lv, i, kind) in found]
            for kind in durations.KINDS
        }
        for tiles in wanted
    ]


class DecodedBlocks:
    """Decoded histograms by digest, the least recently used dropped beyond ``max_bins`` bins in all
    (12 bytes each). Blocks are content-addressed, so an entry is never stale: a block that changes is
    a new row with a new digest, and the old entry simply stops being asked for. Thread-safe."""

    def __init__(self, max_bins: int) -> None:
        self.max_bins = max_bins
        self.held_bins = 0
        self._entries: OrderedDict[str, durations.Sorted] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: str) -> durations.Sorted | None:
        with self._lock:
            hit = self._entries.get(digest)
            if hit is not None:
                self._entries.move_to_end(digest)
            return hit

    def put(self, digest: str, hist: durations.Sorted) -> None:
        if hist.weight() > self.max_bins:
            return
        with self._lock:
            if digest in self._entries:
                return
            self._entries[digest] = hist
            self.held_bins += hist.weight()
            while self.held_bins > self.max_bins:
                _old, dropped = self._entries.popitem(last=False)
                self.held_bins -= dropped.weight()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.held_bins = 0

    def __len__(self) -> int:
        return len(self._entries)


# A cockpit page reads ~30 blocks of up to ~30,000 bins; 2,000,000 bins (~24 MB per web process)
# hold the blocks of every slice a busy cockpit shows.
DECODED = DecodedBlocks(max_bins=2_000_000)


def _held(rows: list[tuple[int, int, int, str, str]]) -> dict[tuple[int, int, str], durations.Sorted] | None:
    """``rows`` of (pk, level, index, kind, digest) decoded: from :data:`DECODED`, the others read by
    pk in one query and remembered. None when one of them is gone by then (replaced by a refresh)."""
    out: dict[tuple[int, int, str], durations.Sorted] = {}
    missing: dict[int, tuple[tuple[int, int, str], str]] = {}
    for pk, level, index, kind, digest in rows:
        hit = DECODED.get(digest) if digest else None
        if hit is None:
            missing[pk] = ((level, index, kind), digest)
        else:
            out[(level, index, kind)] = hit
    if missing:
        read = dict(DurationBlock.objects.filter(pk__in=list(missing)).values_list("pk", "hist"))
        if len(read) != len(missing):
            return None
        for pk, hist in read.items():
            key, digest = missing[pk]
            out[key] = value = durations.Sorted.from_json(hist)
            # Only a digest that matches the data is trusted (one written by other code is not).
            if digest and digest == durations.digest_of(hist):
                DECODED.put(digest, value)
    return out
