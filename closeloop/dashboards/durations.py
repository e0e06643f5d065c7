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


def hist_minus(a: Mapping[int, int], b: Mapping[int, int]) -> Hist:
    """``a - b`` for running totals (b taken before a), dropping empty bins."""
    out = {k: n - b.get(k, 0) for k, n in a.items()}
    return {k: n for k, n in out.items() if n}


def to_json(h: Mapping[int, int]) -> dict[str, int]:
    return {str(k): n for k, n in sorted(h.items())}


def from_json(h: Mapping[str, int] | None) -> Hist:
    return {int(k): int(n) for k, n in (h or {}).items()}


def percentile(h: Mapping[int, int], share: float) -> int | None:
    """The nearest-rank percentile bin of ``h`` (None when empty)."""
    total = sum(h.values())
    if not total:
        return None
    rank = max(math.ceil(share * total), 1)
    running = 0
    for b in sorted(h):
        running += h[b]
        if running >= rank:
            return b
    return None  # unreachable: running ends at total >= rank


def in_unit(kind: str, b: int | None) -> float | None:
    return None if b is None else round(b / BINS_PER_UNIT[kind], 2)


def figures(cycle: Mapping[int, int], response: Mapping[int, int]) -> dict[str, float | None]:
    """The cockpit's duration KPIs from the period's two histograms."""
    return {
        "cycle_median_days": in_unit(CYCLE, percentile(cycle, 0.5)),
        "cycle_p90_days": in_unit(CYCLE, percentile(cycle, 0.9)),
        "first_response_hours": in_unit(RESPONSE, percentile(response, 0.5)),
        "response_n": sum(response.values()),
    }
