"""The deadline scan: reminders before a deadline falls due, the miss, then the escalation ladder.

Run every minute by Celery beat (``closeloop.sla.tasks.deadlines_scan``), possibly by several workers
at once. Each row says when it needs attention next (``Deadline.next_check_at``), so a scan reads only
the rows due now through an index, whatever the number of complaints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from closeloop.accounts import roles
from closeloop.accounts.models import User
from closeloop.complaints import events
from closeloop.complaints.models import Complaint
from closeloop.complaints.workflow import FINAL_STATUSES
from closeloop.core import clock
from closeloop.notifications.rules import users_with_role
from closeloop.notifications.services import notification_send
from closeloop.sla import ladder
from closeloop.sla.calendar import Schedule
from closeloop.sla.models import Deadline, EscalationWho
from closeloop.sla.services.deadlines import deadline_clock, next_check_set

# Rows claimed per transaction: short transactions keep row locks brief and let other workers share.
CHUNK = 20


def deadlines_scan(*, now: dt.datetime | None = None, batch: int = 200) -> int:
    """Handle up to ``batch`` deadlines due for attention at ``now`` (default: the clock): remind at
    each threshold passed (``deadline_warning``, once per threshold), record the miss (``breached_at``)
    when the due time passes, and climb the escalation ladder step by step (``deadline_breached`` to
    the owner, ``deadline_escalated`` to the others), each told with a reason code and written on the
    complaint's timeline. Met, paused and ended complaints' deadlines are left alone. Returns how many
    deadlines it handled.

    Contract: call it outside a transaction. It opens one short transaction per ``CHUNK`` rows and
    claims them with ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite has no row locks and
    serialises writers, and Django drops the clause there), so concurrent scans never handle the same
    row twice: a row another scan holds is skipped, and one it has just handled is no longer due.
    Notifications and timeline rows are written in the same transaction as the row's bookkeeping, so
    a notice is never lost nor sent twice.
    """
    from closeloop.sla.selectors import escalation_steps, reminder_percents, schedule_get

    now = now or clock.now()
    schedule = schedule_get()
    percents, steps = reminder_percents(), escalation_steps()
    handled = 0
    seen: list[int] = []  # a row handled in this run is never claimed again by it, whatever its next check
    while handled < batch:
        with transaction.atomic():
            rows = list(
                Deadline.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related(
                    "complaint", "complaint__owner__department__manager", "complaint__department__manager"
                )
                .filter(met_at__isnull=True, paused_at__isnull=True, next_check_at__lte=now)
                .exclude(pk__in=seen)
                .order_by("next_check_at", "pk")[: min(CHUNK, batch - handled)]
            )
            for d in rows:
                _handle(d, now=now, schedule=schedule, percents=percents, steps=steps)
                seen.append(d.pk)
        if not rows:
            break
        handled += len(rows)
    return handled


def _handle(
    d: Deadline,
    *,
    now: dt.datetime,
    schedule: Schedule,
    percents: Sequence[int],
    steps: Sequence[ladder.Step],
) -> None:
    """One claimed row: its reminder, its miss, its due ladder steps, then its next check."""
    c = d.complaint
    if c.status in FINAL_STATUSES:  # marked invalid or a duplicate: nobody is chased for it
        d.next_check_at = None
        d.save(update_fields=["next_check_at"])
        return
    passed = ladder.reminders_due(schedule, deadline_clock(d, c), percents, now)
    if passed:
        _remind(d, c, percent=passed[-1])  # a late scan tells only the latest threshold passed
        d.reminded_percent = passed[-1]
    if d.breached_at is None and now >= d.due_at:
        d.breached_at = d.due_at
        d.reminded_percent = max([d.reminded_percent, *percents])  # no reminder after the miss
        events.event_record(
            complaint=c, verb="deadline_breached", data={"target": d.target, "due_at": d.due_at.isoformat()}
        )
    for step in ladder.steps_due(deadline_clock(d, c), steps, now):
        _escalate(d, c, step)
        d.escalation_level = step.order
    next_check_set(d, c, schedule, percents, steps)
    d.save(update_fields=["reminded_percent", "breached_at", "escalation_level", "next_check_at"])


def _message(d: Deadline, c: Complaint, **extra: Any) -> dict[str, Any]:
    return {
        "number": c.number,
        "title": c.title,
        "target": d.target,  # rendered as the target's label in the reader's language
        "due_at": timezone.localtime(d.due_at).strftime("%Y-%m-%d %H:%M"),
        "owner": str(c.owner) if c.owner else "",
        **extra,
    }


def _department_manager(c: Complaint) -> User | None:
    """The manager of the owner's department, else of the complaint's department."""
    owner = c.owner
    dept = owner.department if owner is not None and owner.department_id else c.department
    return dept.manager if dept is not None else None


def _remind(d: Deadline, c: Complaint, *, percent: int) -> None:
    """Tell the owner (or, while nobody owns it, the department's manager, else the quality
    managers) that ``percent`` of the deadline's time is used."""
    people: dict[User, str]
    manager = _department_manager(c)
    if c.owner is not None:
        people = {c.owner: "owner"}
    elif manager is not None:
        people = {manager: "department_manager"}
    else:
        people = dict.fromkeys(users_with_role(roles.QUALITY_MANAGER), "role_quality_manager")
    told = _tell("deadline_warning", people, d, c, percent=percent)
    events.event_record(
        complaint=c, verb="deadline_warning", data={"target": d.target, "percent": percent, "told": told}
    )


def _step_people(who: str, c: Complaint) -> dict[User, str]:
    """Who one ladder step tells, each with why."""
    if who == EscalationWho.OWNER:
        if c.owner is not None:
            return {c.owner: "escalation_owner"}
        return dict.fromkeys(users_with_role(roles.QUALITY_MANAGER), "escalation_no_owner")
    if who == EscalationWho.DEPARTMENT_MANAGER:
        manager = _department_manager(c)
        return {manager: "escalation_department_manager"} if manager is not None else {}
    if who == EscalationWho.QUALITY_MANAGERS:
        return dict.fromkeys(users_with_role(roles.QUALITY_MANAGER), "escalation_quality_manager")
    return dict.fromkeys(users_with_role(roles.GENERAL_MANAGER), "escalation_general_manager")


def _escalate(d: Deadline, c: Complaint, step: ladder.Step) -> None:
    """One rung: the owner's overdue notice or an escalation, and its timeline row naming who was told
    (an empty list when the rung has nobody, e.g. a department without a manager)."""
    verb = "deadline_breached" if step.who == EscalationWho.OWNER else "deadline_escalated"
    told = _tell(verb, _step_people(step.who, c), d, c)
    events.event_record(
        complaint=c,
        verb="deadline_escalated",
        data={"target": d.target, "level": step.order, "who": step.who, "told": told},
    )


def _tell(verb: str, people: Mapping[User, str], d: Deadline, c: Complaint, **extra: Any) -> list[str]:
    """Send ``verb`` to ``people``; the names of those told, for the timeline."""
    rows = notification_send(
        verb=verb, recipients=people, actor=None, complaint=c, data=_message(d, c, **extra)
    )
    return [str(n.recipient) for n in rows]
