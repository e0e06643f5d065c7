"""The benchmark's data: the database topped up to the size asked for.

Up to ``lived`` complaints (a million by default) the generator lives each one through the workflow
(``core.generator``, about 1,500–2,200 a second on two cores). Beyond that, on PostgreSQL, the
generated complaints are copied (``core.generator_replicate``: whole copies, at the database's speed),
which is how ten million are loaded in well under an hour instead of several hours; on SQLite all are
generated.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from django.db import connection

from closeloop.complaints.models import Complaint
from closeloop.core.bench_env import vacuum_analyze
from closeloop.core.generator import complaints_generate
from closeloop.core.generator_replicate import complaints_replicate, sources_count

LIVED = 1_000_000


def data_top_up(size: int, *, lived: int = LIVED, out: Callable[[str], None] = print) -> int:
    """Bring the database to at least ``size`` complaints and return how many there are. Generated up
    to ``lived`` (or ``size`` if less); past it, on PostgreSQL, in whole copies of the generated ones —
    as many as reach ``size``, so it may end above ``size`` by less than one copy — and any shortfall
    generated. Vacuums and analyses after loading anything, as autovacuum would."""
    have = Complaint.objects.count()
    if have >= size:
        return have
    copying = connection.vendor == "postgresql" and size > lived
    if have < (min(size, lived) if copying else size):
        _generate((min(size, lived) if copying else size) - have, seed=have + 1, out=out)
        have = Complaint.objects.count()
    if copying and have < size and (sources := sources_count()):
        copies = math.ceil((size - have) / sources)
        out(f"copying the {sources:,} generated complaints {copies} times …")
        t = time.perf_counter()
        done = complaints_replicate(copies)
        out(f"  {done.complaints:,} in {time.perf_counter() - t:.1f} s")
        have = Complaint.objects.count()
    if have < size:
        _generate(size - have, seed=have + 1, out=out)
    took = vacuum_analyze()
    if took is not None:
        out(f"  VACUUM ANALYZE of the database: {took:.1f} s (as autovacuum would after the load)")
    return Complaint.objects.count()


def _generate(n: int, *, seed: int, out: Callable[[str], None]) -> None:
    out(f"generating {n:,} complaints …")
    t = time.perf_counter()
    made = complaints_generate(n, seed=seed)
    out(f"  {made:,} in {time.perf_counter() - t:.1f} s ({made / (time.perf_counter() - t):,.0f}/s)")
