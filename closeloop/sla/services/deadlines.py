"""The only writers of complaints' deadlines: planned from the policies, moved by the customer's waits,
recomputed when a year's schedule is loaded, met by the handling and the 8D."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from closeloop.complaints.models import Complaint
from closeloop.core import clock
from closeloop.sla import ladder
from closeloop.sla.calendar import Result, Schedule
from closeloop.sla.deadlines import Facts, applicable_targets, due_compute_paused, due_shift, policy_choose
from closeloop.sla.models import EIGHT_D_TARGETS, Deadline, DeadlinePolicy, Target


def _facts(complaint: Complaint) -> Facts:
    ids = complaint.category.lineage_ids() if complaint.category is not None else []
    return Facts(
        severity=complaint.severity,
        urgency=complaint.urgency,
        category_ids=frozenset(ids),
        customer_id=complaint.customer_id,
    )


def deadline_clock(d: Deadline, complaint: Complaint) -> ladder.Clock:
    """The deadline's state as the pure ladder arithmetic reads it."""
    return ladder.Clock(
        start=complaint.received_at,
        due=d.due_at,
        unit=d.unit,
        severity=complaint.severity,
        reminded_percent=d.reminded_percent,
        breached_at=d.breached_at,
        escalation_level=d.escalation_level,
    )


def next_check_set(
    d: Deadline,
    complaint: Complaint,
    schedule: Schedule,
    percents: Sequence[int] | None = None,
    steps: Sequence[ladder.Step] | None = None,
) -> None:
    """Set (not save) when the scan looks at ``d`` next: never while it is met or paused. Thresholds
    and ladder are read when not given (the scan passes them once per run)."""
    from closeloop.sla.selectors import escalation_steps, reminder_percents

    if d.met_at is not None or d.paused_at is not None:
        d.next_check_at = None
        return
    d.next_check_at = ladder.next_check(
        schedule,
        deadline_clock(d, complaint),
        reminder_percents() if percents is None else percents,
        escalation_steps() if steps is None else steps,
    )


def deadlines_plan(*, complaint: Complaint) -> list[Deadline]:
    """Set the complaint's deadlines from the policies, counted from its received time and moved later
    by every ended wait on the customer: every target that applies (the 8D ones once it is on the 8D
    path); targets already met are left alone. A deadline whose due time changes starts its reminders
    and escalation afresh unless it is already past. Called at triage, when an 8D starts, and whenever
    the triage facts change. Runs in the caller's transaction (which holds the complaint's row lock)."""
    from closeloop.sla.selectors import clock_pause_current, pauses_ended, schedule_get

    policies = list(DeadlinePolicy.objects.filter(is_active=True))
    schedule = schedule_get(since=complaint.received_at.date() - dt.timedelta(days=1))
    facts = _facts(complaint)
    existing = {d.target: d for d in Deadline.objects.filter(complaint=complaint)}
    targets = applicable_targets(
        Target.values, eight_d=complaint.handling_path == "8d", eight_d_targets=EIGHT_D_TARGETS
    )
    pauses = pauses_ended(complaint_id=complaint.pk)
    open_pause = clock_pause_current(complaint_id=complaint.pk)
    now = clock.now()
    out: list[Deadline] = []
    for target in targets:
        policy = policy_choose(policies, target, facts)
        current = existing.get(target)
        if policy is None or (current is not None and current.met_at is not None):
            continue
        due = due_compute_paused(schedule, complaint.received_at, policy.amount, policy.unit, pauses)
        d = current or Deadline(complaint=complaint, target=target)
        if current is not None and current.due_at != due.at and due.at > now:
            d.breached_at, d.reminded_percent, d.escalation_level = None, 0, 0
        d.policy, d.amount, d.unit = policy, policy.amount, policy.unit
        d.due_at, d.provisional = due.at, due.provisional
        d.paused_at = open_pause.started_at if open_pause is not None else None
        next_check_set(d, complaint, schedule)
        d.save()
        out.append(d)
    return out


def deadlines_move_after_pause(*, complaint: Complaint) -> int:
    """The complaint stopped waiting on the customer: every unmet deadline is recomputed from the
    received time with all its ended pauses (so the stretch just ended moves it later, in working time
    for working units), unpaused, and given its next check. Returns how many moved. Runs in the
    caller's transaction, which holds the complaint's row lock and has just ended the pause."""
    from closeloop.sla.selectors import pauses_ended, schedule_get

    schedule = schedule_get(since=complaint.received_at.date() - dt.timedelta(days=1))
    pauses = pauses_ended(complaint_id=complaint.pk)
    moved = 0
    for d in Deadline.objects.select_for_update().filter(complaint=complaint, met_at__isnull=True):
        due = due_compute_paused(schedule, complaint.received_at, d.amount, d.unit, pauses)
        moved += due.at != d.due_at
        d.due_at, d.provisional, d.paused_at = due.at, due.provisional, None
        next_check_set(d, complaint, schedule)
        d.save(update_fields=["due_at", "provisional", "paused_at", "next_check_at"])
    return moved


def deadlines_pause(*, complaint_id: int, since: dt.datetime) -> int:
    """Stop the clocks of the complaint's unmet deadlines at ``since``: the scan leaves them alone until
    they are moved on resume. Runs in the caller's transaction (which holds the complaint's lock)."""
    return Deadline.objects.filter(complaint_id=complaint_id, met_at__isnull=True).update(
        paused_at=since, next_check_at=None
    )


def deadline_meet(*, complaint_id: int, target: str) -> Deadline | None:
    """Record that ``target`` was reached now; a late one keeps its breach time (the due time). A clock
    still paused counts the wait so far first (met while waiting on the customer is not late for it).
    Runs in the caller's transaction; a target already met keeps its first time."""
    from closeloop.sla.selectors import schedule_get

    d = Deadline.objects.select_for_update().filter(complaint_id=complaint_id, target=target).first()
    if d is None or d.met_at is not None:
        return d
    now = clock.now()
    if d.paused_at is not None and d.paused_at < d.due_at:
        schedule = schedule_get(since=d.paused_at.date() - dt.timedelta(days=1))
        due = due_shift(schedule, Result(d.due_at, d.provisional), d.unit, (d.paused_at, now))
        d.due_at, d.provisional = due.at, due.provisional
    d.met_at, d.paused_at, d.next_check_at = now, None, None
    if now > d.due_at:
        d.breached_at = d.breached_at or d.due_at
    d.save(update_fields=["due_at", "provisional", "met_at", "paused_at", "next_check_at", "breached_at"])
    return d


def deadlines_recompute_provisional() -> int:
    """Recompute every unmet provisional deadline (a year's schedule was just loaded), keeping the
    complaint's ended pauses. Each deadline that moves writes a ``deadline_rescheduled`` event on its
    complaint (the timeline says why the due time changed, and the cockpit's rollups find the days it
    left and reached). Returns how many changed."""
    from closeloop.complaints import events
    from closeloop.sla.selectors import escalation_steps, reminder_percents, schedule_get

    schedule = schedule_get()
    percents, steps = reminder_percents(), escalation_steps()
    changed = 0
    rows = (
        Deadline.objects.select_related("complaint")
        .prefetch_related("complaint__clock_pauses")
        .filter(provisional=True, met_at__isnull=True)
    )
    for d in rows:
        pauses = [
            (p.started_at, p.ended_at) for p in d.complaint.clock_pauses.all() if p.ended_at is not None
        ]
        due = due_compute_paused(schedule, d.complaint.received_at, d.amount, d.unit, pauses)
        if (due.at, due.provisional) != (d.due_at, d.provisional):
            events.event_record(
                complaint=d.complaint,
                verb="deadline_rescheduled",
                data={"target": d.target, "old_due_at": d.due_at.isoformat(), "due_at": due.at.isoformat()},
            )
            d.due_at, d.provisional = due.at, due.provisional
            next_check_set(d, d.complaint, schedule, percents, steps)
            d.save(update_fields=["due_at", "provisional", "next_check_at"])
            changed += 1
    return changed


def deadlines_drop_8d(*, complaint_id: int) -> int:
    """The complaint left the 8D path (its case was cancelled): its unmet 8D targets no longer apply."""
    deleted, _rows = Deadline.objects.filter(
        complaint_id=complaint_id, target__in=list(EIGHT_D_TARGETS), met_at__isnull=True
    ).delete()
    return deleted


# The targets an approved 8D step meets: D3's approved containment is also the handling proposal the
# customer is told.
STEP_TARGETS: dict[int, tuple[str, ...]] = {
    3: (Target.CONTAINMENT, Target.PROPOSAL),
    4: (Target.ROOT_CAUSE,),
    6: (Target.CORRECTIVE,),
    7: (Target.PREVENTION,),
}
