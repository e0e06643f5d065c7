"""Opening a case and moving its steps: save (versioned), submit (gated), approve (closing the case at
D8), send back, reopen."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import User
from closeloop.complaints.models import Complaint
from closeloop.complaints.numbering import investigation_number_next
from closeloop.core import clock
from closeloop.core.errors import Conflict, TransitionNotAllowed, ValidationFailed
from closeloop.investigations import events, notify
from closeloop.investigations.content import D4Content, D8Content, content_empty, content_parse
from closeloop.investigations.models import Discipline, Investigation, TeamMember
from closeloop.investigations.services._base import (
    _bump,
    _gate,
    _lock_case,
    _lock_step,
    _require_approver,
    _require_edit,
    _require_open,
    _step_label,
)
from closeloop.investigations.workflow import (
    EDITABLE_STEP_STATUSES,
    LAST_STEP,
    STEPS,
    CaseStatus,
    StepStatus,
    TeamRole,
    check_case_transition,
    check_step_transition,
)
from closeloop.sla import services as sla


def investigation_create(*, complaint: Complaint, actor: User, title: str = "") -> Investigation:
    """Open a case for ``complaint`` (which the caller, ``complaints.handling``, holds locked and links).

    The complaint's owner (or the actor) leads it; D0–D8 start empty. Runs in the caller's transaction.
    """
    now = clock.now()
    leader = complaint.owner or actor
    inv = Investigation.objects.create(
        number=investigation_number_next(when=now),
        title=(title or complaint.title).strip()[:200],
        owner=leader,
        product=complaint.product,
        opened_by=actor,
        opened_at=now,
    )
    Discipline.objects.bulk_create(
        [Discipline(investigation=inv, step=s, content=content_empty(s)) for s in STEPS]
    )
    TeamMember.objects.create(
        investigation=inv, user=leader, role=TeamRole.LEADER, department=leader.department
    )
    events.event_record(investigation=inv, verb="opened", actor=actor, data={"complaint": complaint.number})
    return inv


@transaction.atomic
def discipline_save(
    *, investigation: Investigation, step: int, actor: User, content: Any, expected_version: int | None
) -> Discipline:
    """Save a step's content as a draft (or keep it "sent back" while it is reworked).

    ``expected_version`` is the step version the editor started from: if someone saved in between, a
    Conflict carries ``current_version`` and ``current_content`` and nothing is overwritten.
    """
    inv = _lock_case(investigation)
    d = _lock_step(inv, step)
    _require_edit(actor, inv)
    if expected_version is not None and d.version != expected_version:
        raise Conflict(
            _(
                "Someone else saved this step while you were editing it. "
                "Their version is shown; yours is kept."
            ),
            extra={"current_version": d.version, "current_content": d.content},
        )
    _require_open(inv)
    parsed = content_parse(step, content)
    target = StepStatus.RETURNED if d.status == StepStatus.RETURNED else StepStatus.DRAFT
    if d.status not in EDITABLE_STEP_STATUSES:
        raise TransitionNotAllowed(
            _("%(step)s is submitted or approved; it changes only after it is sent back.")
            % {"step": _step_label(step)},
            extra={"from": d.status, "to": target},
        )
    check_step_transition(d.status, target)
    d.content = parsed.model_dump(mode="json")
    d.status = target
    d.version += 1
    d.updated_by, d.updated_at = actor, clock.now()
    d.save()
    if isinstance(parsed, D8Content):
        inv.cost_total, inv.cost_recovered = parsed.cost_total, parsed.recovered_total
    if isinstance(parsed, D4Content):
        cause = parsed.cause(parsed.occurrence_cause_id)
        inv.root_cause_category = cause.category if cause and cause.status == "verified" else ""
    _bump(inv)
    events.event_record(investigation=inv, verb="step_saved", actor=actor, step=step)
    return d


@transaction.atomic
def discipline_submit(
    *, investigation: Investigation, step: int, actor: User, expected_version: int | None = None
) -> Discipline:
    """Hand a complete step to its approver. Refused (StepIncomplete, listing what is missing) while
    an earlier step is unapproved or the gate finds something lacking."""
    inv = _lock_case(investigation)
    d = _lock_step(inv, step)
    _require_edit(actor, inv)
    if expected_version is not None and d.version != expected_version:
        raise Conflict(extra={"current_version": d.version, "current_content": d.content})
    _require_open(inv)
    check_step_transition(d.status, StepStatus.SUBMITTED)
    _gate(inv, d)
    d.status = StepStatus.SUBMITTED
    d.submitted_by, d.submitted_at = actor, clock.now()
    d.version += 1
    d.save()
    _bump(inv)
    events.event_record(investigation=inv, verb="step_submitted", actor=actor, step=step)
    notify.step_submitted(investigation=inv, step=step, actor=actor)
    return d


@transaction.atomic
def discipline_approve(*, investigation: Investigation, step: int, actor: User, note: str = "") -> Discipline:
    """Approve a submitted step. The gate is checked again (an action may have been reopened since).
    Approving D8 closes the case and moves its in-progress complaints to "awaiting customer"."""
    inv = _lock_case(investigation)
    d = _lock_step(inv, step)
    _require_approver(actor)
    _require_open(inv)
    check_step_transition(d.status, StepStatus.APPROVED)
    _gate(inv, d)
    now = clock.now()
    d.status = StepStatus.APPROVED
    d.approved_by, d.approved_at, d.return_reason = actor, now, ""
    d.version += 1
    d.save()
    events.event_record(
        investigation=inv, verb="step_approved", actor=actor, step=step, note=(note or "").strip()
    )
    if step in sla.STEP_TARGETS:
        for complaint_id in Complaint.objects.filter(investigation=inv).values_list("pk", flat=True):
            for target in sla.STEP_TARGETS[step]:
                sla.deadline_meet(complaint_id=complaint_id, target=target)
    if step == LAST_STEP:
        _close(inv, actor, d)
    _bump(inv)
    notify.step_approved(investigation=inv, step=step, actor=actor)
    return d


def _close(inv: Investigation, actor: User, d8: Discipline) -> None:
    from closeloop.complaints.handling import complaint_await_customer_after_8d

    check_case_transition(inv.status, CaseStatus.CLOSED)
    inv.status, inv.closed_at = CaseStatus.CLOSED, clock.now()
    inv.save()
    events.event_record(investigation=inv, verb="closed", actor=actor, step=LAST_STEP)
    summary = str(d8.content.get("customer_summary", ""))
    for complaint in Complaint.objects.filter(investigation=inv).order_by("pk"):
        complaint_await_customer_after_8d(complaint=complaint, actor=actor, resolution=summary)
    notify.investigation_closed(investigation=inv, actor=actor)


@transaction.atomic
def discipline_send_back(*, investigation: Investigation, step: int, actor: User, reason: str) -> Discipline:
    """Return a submitted step to the team with the reason; it is edited and submitted again."""
    inv = _lock_case(investigation)
    d = _lock_step(inv, step)
    _require_approver(actor)
    _require_open(inv)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": [_("Say why the step goes back.")]})
    check_step_transition(d.status, StepStatus.RETURNED)
    d.status, d.return_reason = StepStatus.RETURNED, reason
    d.version += 1
    d.save()
    _bump(inv)
    events.event_record(investigation=inv, verb="step_returned", actor=actor, step=step, note=reason)
    notify.step_returned(investigation=inv, step=step, actor=actor, reason=reason)
    return d


def investigation_reopen(
    *, investigation: Investigation, actor: User, step: int, reason: str
) -> Investigation:
    """Reopen a closed case at ``step`` (the customer was not satisfied): that step and every later
    approved one go back to the team with ``reason``. Runs in the caller's transaction (the verdict)."""
    inv = _lock_case(investigation)
    _require_approver(actor)
    if step not in STEPS:
        raise ValidationFailed(fields={"reopen_step": [_("Choose the step where the 8D starts again.")]})
    check_case_transition(inv.status, CaseStatus.OPEN)
    for d in Discipline.objects.select_for_update().filter(investigation=inv, step__gte=step):
        if d.status == StepStatus.APPROVED:
            check_step_transition(d.status, StepStatus.RETURNED)
            d.status, d.return_reason = StepStatus.RETURNED, reason
            d.version += 1
            d.save()
    inv.status, inv.closed_at = CaseStatus.OPEN, None
    inv.reopen_count += 1
    _bump(inv)
    events.event_record(investigation=inv, verb="reopened", actor=actor, step=step, note=reason)
    notify.investigation_reopened(investigation=inv, step=step, actor=actor, reason=reason)
    return inv
