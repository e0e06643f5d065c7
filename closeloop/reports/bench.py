"""The export step of ``make bench``: the complaint ledger written as the export job writes it (the
newest ``rows`` complaints, selected with the list's own ``received_from`` filter), timed, with its
memory measured two ways at two sizes, so that "memory does not grow with the rows" is shown by
numbers rather than asserted by a timed test:

- ``rss_peak_delta_mb``: the process's peak resident memory during the export minus before it (Linux:
  the peak is reset through /proc/self/clear_refs first; None elsewhere);
- ``tracemalloc_peak_mb``: the peak of Python allocations during a second, traced run (tracing slows
  the run, so its time is not reported).
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.utils import timezone

from closeloop.accounts.models import User
from closeloop.complaints.models import Complaint
from closeloop.reports.exports import ledger_write
from closeloop.reports.ledgers.filters import ledger_filters_parse

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kb(key: str) -> int | None:
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak_rss() -> bool:
    try:
        _CLEAR_REFS.write_text("5")  # resets VmHWM (the peak RSS) to the current RSS
    except OSError:
        return False
    return True


def _received_from(rows: int) -> dt.date | None:
    """The day from which the newest ``rows`` complaints were received (None: export them all)."""
    if Complaint.objects.count() <= rows:
        return None
    at = Complaint.objects.order_by("-received_at", "-id").values_list("received_at", flat=True)[rows - 1]
    return timezone.localtime(at).date()


def _export(user: User, since: dt.date | None) -> tuple[int, int]:
    params = {"received_from": since.isoformat()} if since else {}
    f = ledger_filters_parse(user=user, kind="ledger", params=params)
    with tempfile.TemporaryFile(suffix=".xlsx") as fh:
        written = ledger_write(user=user, kind="ledger", f=f, target=fh)
        size = fh.tell()
    return written, size


def ledger_export_measure(*, user: User, rows: int) -> dict[str, Any]:
    """Export about ``rows`` rows of the complaint ledger twice (plain, then traced); return the rows,
    file size, wall time and both memory peaks."""
    since = _received_from(rows)
    before = _status_kb("VmRSS")
    peak_reset = _reset_peak_rss()
    t = time.perf_counter()
    written, size = _export(user, since)
    wall = time.perf_counter() - t
    peak = _status_kb("VmHWM")
    tracemalloc.start()
    try:
        _export(user, since)
        _current, traced_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return {
        "rows": written,
        "file_mb": round(size / 2**20, 1),
        "wall_s": round(wall, 1),
        "rows_per_s": round(written / wall) if wall else None,
        "rss_peak_delta_mb": round((peak - before) / 1024, 1) if peak_reset and peak and before else None,
        "tracemalloc_peak_mb": round(traced_peak / 2**20, 1),
    }


def bench_exports(*, user: User, size: int, out: Callable[[str], None] = print) -> dict[str, Any]:
    """The ledger export at a tenth of 100,000 rows and at 100,000 (or ``size``, when smaller)."""
    results: dict[str, Any] = {}
    big = min(size, 100_000)
    for rows in sorted({max(big // 10, 1), big}):
        r = ledger_export_measure(user=user, rows=rows)
        results[f"ledger export: {r['rows']:,} rows"] = r
        out(
            f"  ledger export {r['rows']:>9,} rows  {r['wall_s']:>7.1f} s ({r['rows_per_s'] or 0:,}/s)  "
            f"{r['file_mb']} MB  RSS peak +{r['rss_peak_delta_mb']} MB  "
            f"tracemalloc peak {r['tracemalloc_peak_mb']} MB"
        )
    return results
