"""The only writers of 8D cases. Every function runs in one transaction, locks what it changes
(``SELECT … FOR UPDATE``: the case row first, then the step row), checks the transition table and the
step's gate, writes the timeline event and the notifications (outbox rows) in that transaction.

Who may do what: the owner, the team and quality managers edit and submit; holders of the step's
approver permission approve or send back; finance verifies the D8 cost; the sales manager reviews what
the customer is told. Complaints enter a case through ``complaints.handling`` (start on the 8D path,
escalate from quick resolution); closing the case moves them to "awaiting customer".
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import Department, User
from closeloop.complaints.models import Complaint
from closeloop.complaints.numbering import investigation_number_next
from closeloop.core import clock
from closeloop.core.errors import Conflict, NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from closeloop.investigations import events, notify
from closeloop.investigations.content import D4Content, D8Content, content_empty, content_parse, missing
from closeloop.investigations.digests import cost_digest, summary_digest
from closeloop.investigations.models import Discipline, Investigation, TeamMember
from closeloop.investigations.selectors import gate_facts, investigation_can_edit
from closeloop.investigations.workflow import (
    APPROVE_PERMISSION,
    EDITABLE_STEP_STATUSES,
    LAST_STEP,
    REVIEW_SUMMARY_PERMISSION,
    STEPS,
    VERIFY_COST_PERMISSION,
    CaseStatus,
    Step,
    StepStatus,
    TeamRole,
    check_case_transition,
    check_step_transition,
    current_step,
    step_blockers,
)


class StepIncomplete(ValidationFailed):
    """The gate refused: ``missing`` lists what the step still lacks."""

    code = "step_incomplete"


def _step_label(step: int) -> str:
    return str(Step(step).label)


def _lock_case(investigation: Investigation) -> Investigation:
    return Investigation.objects.select_for_update(of=("self",)).get(pk=investigation.pk)


def _lock_step(investigation: Investigation, step: int) -> Discipline:
    if step not in STEPS:
        raise NotFound()
    return Discipline.objects.select_for_update().get(investigation_id=investigation.pk, step=step)


def _require_edit(actor: User, inv: Investigation) -> None:
    if not investigation_can_edit(user=actor, investigation=inv):
        raise PermissionDenied(_("Only the 8D's owner, its team and quality managers may change it."))


def _require_open(inv: Investigation) -> None:
    if inv.status != CaseStatus.OPEN:
        raise ValidationFailed(_("This 8D is closed; it changes only when it is reopened."))


def _refresh_current(inv: Investigation) -> None:
    statuses = dict(Discipline.objects.filter(investigation=inv).values_list("step", "status"))
    inv.current_step = current_step(statuses)


def _bump(inv: Investigation) -> None:
    _refresh_current(inv)
    inv.version += 1
    inv.save()


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


def _gate(inv: Investigation, d: Discipline) -> None:
    statuses = dict(Discipline.objects.filter(investigation=inv).values_list("step", "status"))
    blockers = step_blockers(d.step, statuses)
    lacking: list[str] = []
    if blockers:
        lacking.append(
            str(_("Approve the earlier steps first: %(steps)s."))
            % {"steps": ", ".join(f"D{s}" for s in blockers)}
        )
    lacking += missing(d.step, content_parse(d.step, d.content), gate_facts(investigation=inv))
    if lacking:
        raise StepIncomplete(
            _("%(step)s is not complete.") % {"step": _step_label(d.step)},
            fields={"content": list(lacking)},
            extra={"missing": lacking, "step": d.step},
        )


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


def _require_approver(actor: User) -> None:
    if not actor.has_perm(APPROVE_PERMISSION):
        raise PermissionDenied(_("Only a quality manager approves 8D steps."))


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


@transaction.atomic
def team_member_set(
    *,
    investigation: Investigation,
    actor: User,
    user: User | None,
    role: str,
    department: Department | None = None,
    responsibility: str = "",
) -> TeamMember:
    """Add a person to the D1 team or change their role. One leader and one champion: naming a new one
    makes the previous one a member. The team changes only while D1 is editable."""
    inv = _lock_case(investigation)
    d1 = _lock_step(inv, Step.D1)
    _require_edit(actor, inv)
    _require_open(inv)
    errors: dict[str, list[Any]] = {}
    if user is None or not user.is_active:
        errors["user"] = [_("Choose an active person.")]
    if role not in TeamRole.values:
        errors["role"] = [_("Choose the person's role in the team.")]
    if len((responsibility or "").strip()) > 200:
        errors["responsibility"] = [_("This text is too long.")]
    if errors:
        raise ValidationFailed(fields=errors)
    assert user is not None
    check_step_transition(
        d1.status, StepStatus.RETURNED if d1.status == StepStatus.RETURNED else StepStatus.DRAFT
    )
    if role in (TeamRole.LEADER, TeamRole.CHAMPION):
        TeamMember.objects.filter(investigation=inv, role=role).exclude(user=user).update(
            role=TeamRole.MEMBER
        )
    member, _created = TeamMember.objects.update_or_create(
        investigation=inv,
        user=user,
        defaults={
            "role": role,
            "department": department or user.department,
            "responsibility": (responsibility or "").strip(),
        },
    )
    if role == TeamRole.LEADER:
        inv.owner = user
    if d1.status == StepStatus.TODO:
        d1.status = StepStatus.DRAFT
    d1.version += 1
    d1.save()
    _bump(inv)
    events.event_record(
        investigation=inv,
        verb="team_member_set",
        actor=actor,
        step=Step.D1,
        data={"user": str(user), "role": role},
    )
    return member


@transaction.atomic
def team_member_remove(*, investigation: Investigation, actor: User, user: User) -> None:
    """Take a person off the team (not the leader: name another leader first)."""
    inv = _lock_case(investigation)
    d1 = _lock_step(inv, Step.D1)
    _require_edit(actor, inv)
    _require_open(inv)
    if d1.status not in EDITABLE_STEP_STATUSES:
        check_step_transition(d1.status, StepStatus.DRAFT)
    member = TeamMember.objects.filter(investigation=inv, user=user).first()
    if member is None:
        raise NotFound()
    if member.role == TeamRole.LEADER:
        raise ValidationFailed(fields={"user": [_("Name another leader before removing this one.")]})
    member.delete()
    d1.version += 1
    d1.save()
    _bump(inv)
    events.event_record(
        investigation=inv, verb="team_member_removed", actor=actor, step=Step.D1, data={"user": str(user)}
    )


def _d8(inv: Investigation) -> Discipline:
    return _lock_step(inv, Step.D8)


@transaction.atomic
def investigation_cost_verify(*, investigation: Investigation, actor: User, note: str = "") -> Investigation:
    """财务认证: finance confirms the D8 cost items and recoveries as they stand now. A later change
    to them voids the confirmation (the D8 gate compares a digest)."""
    inv = _lock_case(investigation)
    d8 = _d8(inv)
    if not actor.has_perm(VERIFY_COST_PERMISSION):
        raise PermissionDenied(_("Only finance verifies the cost of poor quality."))
    _require_open(inv)
    parsed = content_parse(Step.D8, d8.content)
    assert isinstance(parsed, D8Content)
    if not parsed.costs:
        raise ValidationFailed(fields={"costs": [_("There is no cost to verify yet.")]})
    inv.cost_verified_by, inv.cost_verified_at = actor, clock.now()
    inv.cost_verified_digest = cost_digest(d8.content)
    _bump(inv)
    events.event_record(
        investigation=inv,
        verb="cost_verified",
        actor=actor,
        step=Step.D8,
        note=(note or "").strip(),
        data={"total": str(parsed.cost_total), "recovered": str(parsed.recovered_total)},
    )
    return inv


@transaction.atomic
def investigation_summary_review(
    *, investigation: Investigation, actor: User, note: str = ""
) -> Investigation:
    """The sales manager reviews what the customer is told (D8 customer summary) before closure."""
    inv = _lock_case(investigation)
    d8 = _d8(inv)
    if not actor.has_perm(REVIEW_SUMMARY_PERMISSION):
        raise PermissionDenied(_("Only a sales manager reviews what the customer is told."))
    _require_open(inv)
    if not str(d8.content.get("customer_summary", "")).strip():
        raise ValidationFailed(fields={"customer_summary": [_("Write what the customer is told first.")]})
    inv.summary_reviewed_by, inv.summary_reviewed_at = actor, clock.now()
    inv.summary_reviewed_digest = summary_digest(d8.content)
    _bump(inv)
    events.event_record(
        investigation=inv, verb="summary_reviewed", actor=actor, step=Step.D8, note=(note or "").strip()
    )
    return inv


@transaction.atomic
def investigation_signoff_request(*, investigation: Investigation, actor: User) -> Investigation:
    """The team asks finance to verify the D8 cost and the sales manager to review what the customer is
    told. Only what is still missing (or voided by a later change) is asked for."""
    inv = _lock_case(investigation)
    d8 = _d8(inv)
    _require_edit(actor, inv)
    _require_open(inv)
    parsed = content_parse(Step.D8, d8.content)
    assert isinstance(parsed, D8Content)
    facts = gate_facts(investigation=inv)
    errors: dict[str, list[Any]] = {}
    if not parsed.costs:
        errors["costs"] = [_("Record the cost of poor quality by item.")]
    if not parsed.customer_summary:
        errors["customer_summary"] = [_("Write what the customer is told first.")]
    if errors:
        raise ValidationFailed(fields=errors)
    asked = notify.signoff_requested(
        investigation=inv, actor=actor, cost=not facts.cost_verified, summary=not facts.summary_reviewed
    )
    events.event_record(investigation=inv, verb="signoff_requested", actor=actor, step=Step.D8, data=asked)
    return inv


@transaction.atomic
def investigation_cancel(*, investigation: Investigation, actor: User, reason: str) -> Investigation:
    """No 8D is needed after all (D0): the quality manager cancels the case, and its complaints still in
    progress go back to quick resolution (their actions stay with them). Final."""
    from closeloop.complaints.handling import complaint_return_to_quick

    inv = _lock_case(investigation)
    _require_approver(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": [_("Say why no 8D is needed.")]})
    check_case_transition(inv.status, CaseStatus.CANCELLED)
    events.event_record(investigation=inv, verb="cancelled", actor=actor, note=reason)
    inv.status, inv.closed_at = CaseStatus.CANCELLED, clock.now()
    inv.version += 1
    inv.save()
    for complaint in Complaint.objects.filter(investigation=inv).order_by("pk"):
        complaint_return_to_quick(complaint=complaint, actor=actor, reason=reason)
    return inv
