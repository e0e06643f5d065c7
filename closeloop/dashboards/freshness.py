"""How current the cockpit's figures are, so the page can say so.

The cockpit reads the worker's rollups and its snapshots of now (rollups.py, totals.py). While the
worker keeps them up to date the figures are as of its last run, a minute or so ago. When it stops —
a worker down, a beat schedule not running — nothing is wrong with the figures: the readers count
today and the open backlog live from the complaints (correct, but seconds instead of milliseconds at
a million complaints). A general manager looking at a slow page, or an administrator, needs to know
which of these is happening, and since when.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from closeloop.core import clock
from closeloop.dashboards import rollup_reads, totals

CURRENT = "current"
BEHIND = "behind"
NEVER = "never"
LIVE = "live"


@dataclass(frozen=True)
class Freshness:
    """``state`` is one of:

    - ``current``: the worker brought the rollups up to date within ``totals.SNAPSHOT_MAX_AGE``; the
      rolled-up figures are as of ``as_of``;
    - ``behind``: its last run ended at ``as_of``, longer ago than that; today and the open backlog are
      counted live until it runs again;
    - ``never``: nothing is rolled up yet (``as_of`` None); every figure is counted live;
    - ``live``: the reader's scope is not rolled up (rollup_reads.usable_until), so every figure is counted
      live whatever the worker does (``as_of`` None).
    """

    state: str
    as_of: dt.datetime | None

    def as_json(self) -> dict[str, Any]:
        """The API's form: the state, and the instant in UTC (ISO 8601, ``Z``) or None."""
        as_of = None
        if self.as_of is not None:
            as_of = self.as_of.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
        return {"state": self.state, "as_of": as_of}


def freshness_get(user: Any, now: dt.datetime | None = None) -> Freshness:
    """The freshness of the figures ``user`` reads at ``now`` (default: the clock). Reads the rollup
    state once per :func:`rollup_reads.one_reading`, the same row the figures were taken against."""
    if not user.has_perm("complaints.view_all_complaints"):
        return Freshness(LIVE, None)
    row = rollup_reads.state_row()
    if row is None or row[0] is None:
        return Freshness(NEVER, None)
    _complete, _partial_day, partial_at = row
    if partial_at is None:
        return Freshness(NEVER, None)
    now = now or clock.now()
    if partial_at >= now - totals.SNAPSHOT_MAX_AGE:
        return Freshness(CURRENT, partial_at)
    return Freshness(BEHIND, partial_at)
