"""Durations behind the cockpit's percentiles (cycle time, first response), counted in bins.

A duration is counted as the whole number of bins it lasted (rounded down): cycle time in whole hours,
first response in tenths of an hour. Percentiles are nearest-rank — the smallest bin with at least the
share of the durations at or below it — so the median of an even count is the lower middle value.
With that definition a histogram of bins holds everything a percentile needs, so the rollups
(models.DurationBlock, blocks.py) and the live computation give the very same figure, and a period's
percentile is read from the few blocks of days that tile it without adding them up.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import math
import zlib
from array import array
from bisect import bisect_right
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


def to_json(h: Mapping[int, int]) -> dict[str, int]:
    return {str(k): n for k, n in sorted(h.items())}


def from_json(h: Mapping[str, int] | None) -> Hist:
    return {int(k): int(n) for k, n in (h or {}).items()}


class Sorted:
    """A histogram as its bins in ascending order with the running count at each (``running[i]`` =
    durations in bins up to ``bins[i]``). Blocks are stored this way (``to_json``: zlib-compressed
    machine integers): first responses spread over tens of thousands of bins (a complaint started again
    after a reopening counts from its receipt), so neither a dense list nor a dict decodes or adds
    cheaply, while counting the durations up to a bin is one bisection (see :func:`percentile_of`)."""

    __slots__ = ("bins", "running")

    def __init__(self, bins: array | None = None, running: array | None = None) -> None:
        self.bins = bins if bins is not None else array("i")
        self.running = running if running is not None else array("q")

    @classmethod
    def of(cls, h: Mapping[int, int]) -> Sorted:
        bins, running, total = array("i"), array("q"), 0
        for b in sorted(h):
            if h[b]:
                total += h[b]
                bins.append(b)
                running.append(total)
        return cls(bins, running)

    def hist(self) -> Hist:
        out: Hist = {}
        before = 0
        for b, r in zip(self.bins, self.running, strict=True):
            out[b] = r - before
            before = r
        return out

    def total(self) -> int:
        return self.running[-1] if self.running else 0

    def upto(self, b: int) -> int:
        """Durations in bins ``<= b``."""
        i = bisect_right(self.bins, b)
        return self.running[i - 1] if i else 0

    def to_json(self) -> dict[str, str]:
        raw = self.bins.tobytes() + self.running.tobytes()
        return {"n": str(len(self.bins)), "z": base64.b64encode(zlib.compress(raw, 1)).decode()}

    def weight(self) -> int:
        """Its size in bins (what a cache of decoded histograms counts)."""
        return len(self.bins)

    @classmethod
    def from_json(cls, j: Mapping[str, str] | None) -> Sorted:
        if not j:
            return cls()
        raw, n = zlib.decompress(base64.b64decode(j["z"])), int(j["n"])
        bins, running = array("i"), array("q")
        bins.frombytes(raw[: n * bins.itemsize])
        running.frombytes(raw[n * bins.itemsize :])
        return cls(bins, running)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sorted) and (self.bins, self.running) == (other.bins, other.running)

    def __repr__(self) -> str:
        return f"Sorted({self.hist()})"

    __hash__ = None  # type: ignore[assignment]


def digest_of(j: Mapping[str, str] | None) -> str:
    """A fingerprint of a stored histogram (``Sorted.to_json``): equal digests, equal histograms. 128
    bits of BLAKE2b over the compressed data and its bin count."""
    if not j:
        return ""
    return hashlib.blake2b(f"{j['n']}:{j['z']}".encode(), digest_size=16).hexdigest()


def merged(parts: Iterable[Sorted]) -> Sorted:
    """One histogram holding every part's durations (for the blocks above a day)."""
    out: Hist = {}
    for part in parts:
        hist_add(out, part.hist())
    return Sorted.of(out)


def percentile_of(parts: list[Sorted], share: float) -> int | None:
    """The nearest-rank percentile bin of the durations of all ``parts`` together (None when empty):
    the smallest bin ``x`` with at least ``share`` of them at or below it, found by bisecting on
    ``x`` — each step counts a part's durations up to ``x`` by one bisection, so twenty blocks of tens
    of thousands of bins answer in well under a millisecond without being added up."""
    parts = [p for p in parts if p.bins]
    total = sum(p.total() for p in parts)
    if not total:
        return None
    rank = max(math.ceil(share * total), 1)
    lo, hi = min(p.bins[0] for p in parts), max(p.bins[-1] for p in parts)
    while lo < hi:
        mid = (lo + hi) // 2
        if sum(p.upto(mid) for p in parts) >= rank:
            hi = mid
        else:
            lo = mid + 1
    return lo


def percentile(h: Mapping[int, int], share: float) -> int | None:
    """The nearest-rank percentile bin of ``h`` (None when empty)."""
    return percentile_of([Sorted.of(h)], share)


def in_unit(kind: str, b: int | None) -> float | None:
    return None if b is None else round(b / BINS_PER_UNIT[kind], 2)


def figures(
    cycle: Mapping[int, int] | list[Sorted], response: Mapping[int, int] | list[Sorted]
) -> dict[str, float | None]:
    """The cockpit's duration KPIs from the period's two histograms (each a histogram, or parts that
    together make it)."""
    c = cycle if isinstance(cycle, list) else [Sorted.of(cycle)]
    r = response if isinstance(response, list) else [Sorted.of(response)]
    return {
        "cycle_median_days": in_unit(CYCLE, percentile_of(c, 0.5)),
        "cycle_p90_days": in_unit(CYCLE, percentile_of(c, 0.9)),
        "first_response_hours": in_unit(RESPONSE, percentile_of(r, 0.5)),
        "response_n": sum(p.total() for p in r),
    }
