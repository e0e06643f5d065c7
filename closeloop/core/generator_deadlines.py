"""A generated complaint's deadlines, moved through its life exactly as ``sla.services`` moves them —
planned at triage, met by handling started / resolved / closed, paused while the customer is asked,
moved later by the wait — but in memory, with the same pure arithmetic (``sla.deadlines``,
``sla.ladder``), so a million complaints need no per-row queries.

The deadline scan is not replayed: reminders, misses and escalations write notifications and timeline
rows of their own, and the generated rows are left as the transition services leave them (nothing
reminded, ``next_check_at`` set), so a scan run afterwards catches up on the open ones.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from closeloop.complaints.models import Category
from closeloop.sla import ladder
from closeloop.sla.calendar import Result, Schedule
from closeloop.sla.deadlines import (
    WORKING_UNITS,
    Facts,
    applicable_targets,
    due_compute,
    due_compute_paused,
    policy_choose,
)
from closeloop.sla.models import EIGHT_D_TARGETS, DeadlinePolicy, Target


@dataclass(slots=True)
class Clock:
    """One target's deadline while the generator moves it (becomes a ``Deadline`` row at the end)."""

    target: str
    policy: DeadlinePolicy
    due: dt.datetime
    provisional: bool
    met_at: dt.datetime | None = None
    breached_at: dt.datetime | None = None
    paused_at: dt.datetime | None = None


class DeadlineBook:
    """The policies, calendar, reminder thresholds and ladder, read once; hands out each complaint's
    clocks. Policy choices are cached by the facts they depend on."""

    def __init__(self) -> None:
        from closeloop.sla.selectors import escalation_steps, reminder_percents, schedule_get

        self.policies = list(DeadlinePolicy.objects.filter(is_active=True).order_by("id"))
        self.schedule: Schedule = schedule_get()
        self.percents = reminder_percents()
        self.steps = escalation_steps()
        parents = dict(Category.objects.values_list("id", "parent_id"))
        self.lineage: dict[int, frozenset[int]] = {}
        for cid in parents:
            ids: list[int] = []
            node: int | None = cid
            while node is not None and len(ids) < 10:  # the same bound as Category.lineage_ids
                ids.append(node)
                node = parents.get(node)
            self.lineage[cid] = frozenset(ids)
        self._chosen: dict[tuple[Any, ...], list[DeadlinePolicy]] = {}
        self.targets = applicable_targets(Target.values, eight_d=False, eight_d_targets=EIGHT_D_TARGETS)
        self._periods: dict[dt.date, list[tuple[dt.datetime, dt.datetime]]] = {}
        self._gaps: dict[tuple[Any, ...], Result] = {}

    def _policies_for(
        self, severity: str, urgency: str, category_id: int | None, customer_id: int
    ) -> list[DeadlinePolicy]:
        key = (severity, urgency, category_id, customer_id)
        chosen = self._chosen.get(key)
        if chosen is None:
            facts = Facts(
                severity=severity,
                urgency=urgency,
                category_ids=self.lineage.get(category_id, frozenset()) if category_id else frozenset(),
                customer_id=customer_id,
            )
            picks = (policy_choose(self.policies, t, facts) for t in self.targets)
            chosen = self._chosen[key] = [p for p in picks if p is not None]
        return chosen

    def due(self, received: dt.datetime, p: DeadlinePolicy) -> Result:
        """``due_compute`` from ``received``, remembered for working units when ``received`` falls
        outside working hours: the count then starts at the next working period whatever the minute,
        so every start in the same gap of the same day has the same due time (the day is part of the
        key because the days counted decide ``provisional``). Most complaints arrive outside working
        hours, so this spares most of a run's working-time arithmetic."""
        if p.unit not in WORKING_UNITS:
            return due_compute(self.schedule, received, p.amount, p.unit)
        local = received.astimezone(self.schedule.tz)
        day = local.date()
        periods = self._periods.get(day)
        if periods is None:
            periods = self._periods[day] = self.schedule.periods(day)
        gap: dt.datetime | None = None  # None: after the day's last period, or a day off
        for a, b in periods:
            if a <= local < b:
                return due_compute(self.schedule, received, p.amount, p.unit)
            if local < a:
                gap = a
                break
        key = (day, gap, p.amount, p.unit)
        due = self._gaps.get(key)
        if due is None:
            due = self._gaps[key] = due_compute(self.schedule, received, p.amount, p.unit)
        return due

    def proposal_days(
        self, *, severity: str, urgency: str, category_id: int | None, customer_id: int
    ) -> float | None:
        """The handling-proposal target in days (working days counted as 7/5 of a day), if any."""
        for p in self._policies_for(severity, urgency, category_id, customer_id):
            if p.target == Target.PROPOSAL:
                per_unit = {"calendar_hours": 1 / 24, "working_hours": 7 / 5 / 24, "working_days": 7 / 5}
                return p.amount * per_unit.get(p.unit, 1.0)
        return None

    def plan(
        self, *, received: dt.datetime, severity: str, urgency: str, category_id: int | None, customer_id: int
    ) -> list[Clock]:
        """``deadlines_plan`` at the first triage of a quick-resolution complaint: no pause yet."""
        out = []
        for p in self._policies_for(severity, urgency, category_id, customer_id):
            due = self.due(received, p)
            out.append(Clock(target=p.target, policy=p, due=due.at, provisional=due.provisional))
        return out

    @staticmethod
    def meet(clocks: list[Clock], target: str, at: dt.datetime) -> None:
        """``deadline_meet`` of a running clock (the generator meets none while paused)."""
        for c in clocks:
            if c.target == target and c.met_at is None:
                c.met_at, c.paused_at = at, None
                if at > c.due:
                    c.breached_at = c.breached_at or c.due

    @staticmethod
    def pause(clocks: list[Clock], at: dt.datetime) -> None:
        """``deadlines_pause``: every unmet clock stops at ``at``."""
        for c in clocks:
            if c.met_at is None:
                c.paused_at = at

    def resume(
        self, clocks: list[Clock], received: dt.datetime, pauses: list[tuple[dt.datetime, dt.datetime]]
    ) -> int:
        """``deadlines_move_after_pause``: unmet clocks recomputed with every ended pause. Returns how
        many moved."""
        moved = 0
        for c in clocks:
            if c.met_at is None:
                due = due_compute_paused(self.schedule, received, c.policy.amount, c.policy.unit, pauses)
                moved += due.at != c.due
                c.due, c.provisional, c.paused_at = due.at, due.provisional, None
        return moved

    # The Deadline columns ``rows`` fills, in its tuples' order.
    COLUMNS = (
        "complaint",
        "target",
        "policy",
        "amount",
        "unit",
        "due_at",
        "provisional",
        "met_at",
        "breached_at",
        "paused_at",
        "next_check_at",
        "reminded_percent",
        "escalation_level",
    )

    def rows(
        self, clocks: list[Clock], *, complaint_id: int, received: dt.datetime, severity: str
    ) -> list[tuple[Any, ...]]:
        """``Deadline`` rows (``COLUMNS``), with the next check the services would have set
        (``next_check_set``: none while met or paused; nothing reminded or escalated yet)."""
        out = []
        for c in clocks:
            next_check = None
            if c.met_at is None and c.paused_at is None:
                next_check = ladder.next_check(
                    self.schedule,
                    ladder.Clock(start=received, due=c.due, unit=c.policy.unit, severity=severity),
                    self.percents,
                    self.steps,
                )
            p = c.policy
            out.append(
                (
                    complaint_id,
                    c.target,
                    p.pk,
                    p.amount,
                    p.unit,
                    c.due,
                    c.provisional,
                    c.met_at,
                    c.breached_at,
                    c.paused_at,
                    next_check,
                    0,
                    0,
                )
            )
        return out
