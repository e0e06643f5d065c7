"""Durations behind the cockpit's percentiles (cycle time, first response), counted in bins.

A duration is counted as the whole number of bins it lasted (rounded down): cycle time in whole hours,
first response in tenths of an hour. Percentiles are nearest-rank — the smallest bin with at least the
share of the durations at or below it — so the median of an even count is the lower middle value.
With that definition a histogram of bins holds everything a percentile needs, so the rollups
(totals.DayDurations) and the live computation give the very same figure, and a period's histogram is
the difference of two running totals however long the period is.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

CYCLE = "cycle"
RESPONSE = "response"
KINDS = (CYCLE, RESPONSE)
BIN_SECONDS = {CYCLE: 3600, RESPONSE: 360}
# The unit the KPI is shown in, in bins: cycle time in days (24 hourly bins), response in hours.
BINS_PER_UNIT = {CYCLE: 24, RESPONSE: 10}

Hist = dict[int, int]


def to_bin(kind: str, start: dt.datetime, end: dt.datetime) -> int:
    return math.floor((end - start).total_seconds() / BIN_SECONDS[kind])


def hist_of(kind: str, pairs: Iterable[tuple[dt.datetime, dt.datetime]]) -> Hist:
    """The histogram of ``(start, end)`` pairs."""
    out: Hist = {}
    for start, end in pairs:
        b = to_bin(kind, start, end)
        out[b] = out.get(b, 0) + 1
    return out


def hist_add(into: Hist, other: Mapping[int, int]) -> Hist:
    for b, n in other.items():
        into[b] = into.get(b, 0) + n
    return into


def to_json(h: Mapping[int, int]) -> dict[str, int]:
    return {str(k): n for k, n in sorted(h.items())}


def from_json(h: Mapping[str, int] | None) -> Hist:
    return {int(k): int(n) for k, n in (h or {}).items()}


@dataclass
class Dense:
    """A histogram as a list of counts from bin ``first`` on. Running totals are stored this way: a
    year of first responses spans thousands of bins, and a list decodes and subtracts several times
    faster than a dict keyed by strings."""

    first: int = 0
    counts: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, h: Mapping[int, int]) -> Dense:
        if not h:
            return cls()
        first, last = min(h), max(h)
        return cls(first, [h.get(b, 0) for b in range(first, last + 1)])

    @classmethod
    def from_json(cls, j: Mapping[str, Any] | None) -> Dense:
        return cls(int(j["first"]), list(j["counts"])) if j else cls()

    def to_json(self) -> dict[str, Any]:
        return {"first": self.first, "counts": self.counts}

    def _span(self, first: int, last: int) -> list[int]:
        """The counts over bins ``first``…``last`` (zeros outside this histogram)."""
        out = [0] * (last - first + 1)
        for i, n in enumerate(self.counts):
            out[self.first - first + i] = n
        return out

    def combine(self, other: Dense, sign: int) -> Dense:
        """``self + other`` (sign 1) or ``self - other`` (sign -1)."""
        if not other.counts:
            return Dense(self.first, list(self.counts))
        if not self.counts:
            return Dense(other.first, [sign * n for n in other.counts])
        first = min(self.first, other.first)
        last = max(self.first + len(self.counts), other.first + len(other.counts)) - 1
        mine, theirs = self._span(first, last), other._span(first, last)
        return Dense(first, [m + sign * t for m, t in zip(mine, theirs, strict=True)])

    def add_hist(self, h: Mapping[int, int]) -> Dense:
        return self.combine(Dense.of(h), 1)

    def percentile(self, share: float) -> int | None:
        """The nearest-rank percentile bin (None when empty)."""
        total = sum(self.counts)
        if not total:
            return None
        rank = max(math.ceil(share * total), 1)
        running = 0
        for i, n in enumerate(self.counts):
            running += n
            if running >= rank:
                return self.first + i
        return None  # unreachable: running ends at total >= rank


@dataclass
class Difference:
    """``end - before + extra``: a period's histogram as the running total at its last rolled-up day
    minus the one before its first, plus today's live histogram — never materialised. A percentile
    walks the bins from the lowest and stops at its rank, so a median reads a few hundred bins of the
    thousands a year of first responses spans."""

    end: Dense
    before: Dense
    extra: Mapping[int, int]

    def total(self) -> int:
        return sum(self.end.counts) - sum(self.before.counts) + sum(self.extra.values())

    def percentile(self, share: float) -> int | None:
        total = self.total()
        if not total:
            return None
        rank = max(math.ceil(share * total), 1)
        parts = [d for d in (self.end, self.before) if d.counts]
        firsts = [d.first for d in parts] + list(self.extra)
        lasts = [d.first + len(d.counts) - 1 for d in parts] + list(self.extra)
        e, b = self.end, self.before
        running = 0
        for i in range(min(firsts), max(lasts) + 1):
            if 0 <= i - e.first < len(e.counts):
                running += e.counts[i - e.first]
            if 0 <= i - b.first < len(b.counts):
                running -= b.counts[i - b.first]
            running += self.extra.get(i, 0)
            if running >= rank:
                return i
        return None  # unreachable: running ends at total >= rank


def percentile(h: Mapping[int, int], share: float) -> int | None:
    """The nearest-rank percentile bin of ``h`` (None when empty)."""
    return Dense.of(h).percentile(share)


def in_unit(kind: str, b: int | None) -> float | None:
    return None if b is None else round(b / BINS_PER_UNIT[kind], 2)


Countable = Dense | Difference


def figures(
    cycle: Mapping[int, int] | Countable, response: Mapping[int, int] | Countable
) -> dict[str, float | None]:
    """The cockpit's duration KPIs from the period's two histograms."""
    c = cycle if isinstance(cycle, Dense | Difference) else Dense.of(cycle)
    r = response if isinstance(response, Dense | Difference) else Dense.of(response)
    return {
        "cycle_median_days": in_unit(CYCLE, c.percentile(0.5)),
        "cycle_p90_days": in_unit(CYCLE, c.percentile(0.9)),
        "first_response_hours": in_unit(RESPONSE, r.percentile(0.5)),
        "response_n": sum(r.counts) if isinstance(r, Dense) else r.total(),
    }
