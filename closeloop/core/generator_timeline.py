"""When each step of a generated complaint's life happens: pure, seeded, no ORM.

The durations follow the shape of real complaint handling rather than any one plant's figures: triage
within hours, handling started within a day or two (the response target is 2 or 5 working days), a
resolution after one to three weeks with a long tail, the customer's answer within days, one answer in
ten unsatisfied (the complaint reopens). About a third of complaints stall for months at one step —
that long tail is what leaves ~70 % of a year's complaints closed with an overdue open backlog, as the
cockpit expects to see.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)

P_REJECTED = 0.03
P_MERGED = 0.02
P_INVALID_BEFORE_TRIAGE = 0.5  # the obvious ones are marked before triage, the others after it
P_STALL = 0.34
STALL_DAYS = (20.0, 420.0)
# Stalls by step: waiting on parts or a supplier (in progress) dominates; then an unanswered customer.
STALL_AT = (("triage", 0.08), ("start", 0.17), ("resolve", 0.5), ("verdict", 0.25))
P_SLOW_START = 0.12  # these start four times slower: the response target is missed now and then
P_UNSATISFIED = (0.10, 0.25, 0.0)  # by answer: the first, the second; a third is always accepted
RESOLVE_MEDIAN_DAYS = 9.0
RESOLVE_SIGMA = 0.8
# A complaint with a handling-proposal target (quality complaints: 3 days) is resolved faster: its
# first resolution takes this share of the target (median), so about half meet it once the time to
# start and the stalls are counted (the 9-day pace would leave nearly all of them late).
PROPOSAL_PACE = 0.3


@dataclass(slots=True)
class Cycle:
    """One resolution and, once the customer answered, the verdict."""

    resolved_at: dt.datetime
    verdict_at: dt.datetime | None = None
    satisfied: bool = False


@dataclass(slots=True)
class Timeline:
    """What happened to one complaint before ``now``: every instant is in ``[received, now)`` and they
    follow the workflow's order. ``invalid`` is ``("rejected" | "merged", at)``."""

    received: dt.datetime
    triaged_at: dt.datetime | None = None
    invalid: tuple[str, dt.datetime] | None = None
    started_at: dt.datetime | None = None
    cycles: list[Cycle] = field(default_factory=list)


def _lognormal_days(rng: random.Random, median: float, sigma: float) -> dt.timedelta:
    return DAY * rng.lognormvariate(math.log(median), sigma)


def _stall_step(rng: random.Random) -> str:
    if rng.random() >= P_STALL:
        return ""
    x, acc = rng.random(), 0.0
    for step, share in STALL_AT:
        acc += share
        if x < acc:
            return step
    return STALL_AT[-1][0]


def timeline_plan(
    rng: random.Random,
    *,
    received: dt.datetime,
    now: dt.datetime,
    urgent: bool,
    resolve_days: float = RESOLVE_MEDIAN_DAYS,
) -> Timeline:
    """Draw one complaint's life and cut it at ``now``; the first resolution takes ``resolve_days``
    (median). Draws the same number of random values whatever ``now`` is."""
    stall = _stall_step(rng)
    stall_for = DAY * rng.uniform(*STALL_DAYS)
    invalid_draw, invalid_early, invalid_delay = rng.random(), rng.random(), rng.expovariate(1 / 20)
    triage_delay = 0.25 * HOUR + HOUR * rng.expovariate(1 / 5)
    start_delay = (
        DAY * rng.expovariate(1 / (0.6 if urgent else 1.2)) * (4 if rng.random() < P_SLOW_START else 1)
    )
    draws = [
        (
            _lognormal_days(rng, resolve_days / (1 + i), RESOLVE_SIGMA),
            DAY * (0.2 + rng.expovariate(1 / 3.5)),
            rng.random(),
        )
        for i in range(len(P_UNSATISFIED))
    ]
    t = Timeline(received=received)
    at = received + triage_delay + (stall_for if stall == "triage" else dt.timedelta())
    invalid = (
        "rejected" if invalid_draw < P_REJECTED else "merged" if invalid_draw < P_REJECTED + P_MERGED else ""
    )
    if invalid and invalid_early < P_INVALID_BEFORE_TRIAGE:
        when = received + HOUR * invalid_delay
        if when < now:
            t.invalid = (invalid, when)
        return t
    if at >= now:
        return t
    t.triaged_at = at
    if invalid:
        when = at + HOUR * invalid_delay
        if when < now:
            t.invalid = (invalid, when)
        return t
    at += start_delay + (stall_for if stall == "start" else dt.timedelta())
    if at >= now:
        return t
    t.started_at = at
    for i, (resolve_in, answer_in, answer) in enumerate(draws):
        at += resolve_in + (stall_for if stall == "resolve" and i == 0 else dt.timedelta())
        if at >= now:
            return t
        cycle = Cycle(resolved_at=at)
        t.cycles.append(cycle)
        at += answer_in + (stall_for if stall == "verdict" and i == 0 else dt.timedelta())
        if at >= now:
            return t
        cycle.verdict_at, cycle.satisfied = at, answer >= P_UNSATISFIED[i]
        if cycle.satisfied:
            return t
    return t
