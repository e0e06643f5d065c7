"""Writers for handling a triaged complaint, on either path, and the customer's verdict.

triaged --start--> in progress --resolve / 8D closed--> awaiting customer --satisfied--> closed
                        ^                                        |
                        +------------- not satisfied ------------+   (reopened; counted, reason kept)

On the full-8D path the complaint follows an 8D case (new, or one that already covers the same problem);
a quick resolution can be escalated to a full 8D. Not satisfied with an 8D's result, the complaint reopens
and so does its case, at the step the quality manager chooses.

Each function locks the complaint row (``services.complaint_lock``), checks the transition table, writes the
change and its event in one transaction. Who may act: triagers (quality roles) and the complaint's owner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import User
from closeloop.complaints import events
from closeloop.complaints.events import AUDITED_FIELDS
from closeloop.complaints.models import Complaint, CustomerVerdict
from closeloop.complaints.services import complaint_lock
from closeloop.complaints.workflow import HandlingPath, Status, check_transition
from closeloop.core import clock
from closeloop.core.errors import FieldErrors, PermissionDenied, TransitionNotAllowed
from closeloop.notifications.rules import notify_verdict_recorded
from closeloop.sla import services as sla
from closeloop.sla.models import PauseReason, Target
from closeloop.sla.selectors import clock_pause_current

if TYPE_CHECKING:
    from closeloop.investigations.models import Investigation


def complaint_can_handle(*, user: User, complaint: Complaint) -> bool:
    return bool(
        user.has_perm("complaints.triage_complaint")
        or (complaint.owner_id is not None and complaint.owner_id == user.pk)
    )


def _check(user: User, c: Complaint) -> None:
    if not complaint_can_handle(user=user, complaint=c):
        raise PermissionDenied(_("Only the owner or the quality team may handle this complaint."))


def _join_8d(c: Complaint, actor: User, investigation: Investigation | None) -> Investigation:
    """Link the locked complaint ``c`` to ``investigation`` (which must be open), or to a new case."""
    from closeloop.investigations import events as case_events
    from closeloop.investigations.services import investigation_create
    from closeloop.investigations.workflow import CaseStatus

    if investigation is None:
        c.investigation = investigation_create(complaint=c, actor=actor)
        return c.investigation
    if investigation.status != CaseStatus.OPEN:
        raise FieldErrors.single("investigation", _("That 8D is closed; choose an open one."))
    c.investigation = investigation
    case_events.event_record(
        investigation=investigation, verb="complaint_linked", actor=actor, data={"complaint": c.number}
    )
    return investigation


@transaction.atomic
def complaint_start_handling(
    *,
    complaint: Complaint,
    actor: User,
    path: str | None = None,
    investigation: Investigation | None = None,
    expected_version: int | None = None,
) -> Complaint:
    """triaged -> in progress on ``path`` (by default the path chosen at triage, else quick resolution).
    An unowned complaint becomes the actor's. On the 8D path the complaint joins ``investigation`` (an
    open case covering the same problem) or opens a new case."""
    c = complaint_lock(complaint, expected_version)
    _check(actor, c)
    path = path or c.handling_path or HandlingPath.QUICK
    if path not in HandlingPath.values:
        raise FieldErrors.single("path", _("Choose how the complaint is handled."))
    check_transition(c.status, Status.IN_PROGRESS)
    before = events.snapshot(c, AUDITED_FIELDS)
    c.status, c.handling_path = Status.IN_PROGRESS, path
    if c.owner_id is None:
        c.owner, c.department = actor, c.department or actor.department
    c.version += 1
    c.save()
    events.event_record(
        complaint=c,
        verb="handling_started",
        actor=actor,
        data={"path": path},
        changes=events.diff(before, events.snapshot(c, AUDITED_FIELDS)),
    )
    if path == HandlingPath.EIGHT_D:
        inv = _join_8d(c, actor, investigation)
        c.save(update_fields=["investigation"])
        events.event_record(complaint=c, verb="8d_linked", actor=actor, data={"investigation": inv.number})
        sla.deadlines_plan(complaint=c)
    sla.deadline_meet(complaint_id=c.pk, target=Target.RESPONSE)
    return c


@transaction.atomic
def complaint_escalate_to_8d(
    *,
    complaint: Complaint,
    actor: User,
    investigation: Investigation | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> Complaint:
    """A quick resolution in progress turns out to need a full 8D: switch the path and open (or join)
    a case. The complaint stays in progress; the reason is kept on the timeline."""
    c = complaint_lock(complaint, expected_version)
    _check(actor, c)
    if c.status != Status.IN_PROGRESS or c.handling_path != HandlingPath.QUICK:
        raise TransitionNotAllowed(_("Only a quick resolution in progress can be escalated to a full 8D."))
    before = events.snapshot(c, AUDITED_FIELDS)
    c.handling_path = HandlingPath.EIGHT_D
    inv = _join_8d(c, actor, investigation)
    c.version += 1
    c.save()
    events.event_record(
        complaint=c,
        verb="escalated_to_8d",
        actor=actor,
        note=(reason or "").strip(),
        data={"investigation": inv.number},
        changes=events.diff(before, events.snapshot(c, AUDITED_FIELDS)),
    )
    sla.deadlines_plan(complaint=c)
    return c


def complaint_return_to_quick(*, complaint: Complaint, actor: User, reason: str) -> Complaint | None:
    """Its 8D was cancelled (not needed): a complaint in progress on the 8D path goes back to quick
    resolution; the case stays linked for the record. Runs in the caller's transaction (the cancel)."""
    c = complaint_lock(complaint, None)
    if c.status != Status.IN_PROGRESS or c.handling_path != HandlingPath.EIGHT_D:
        return None
    before = events.snapshot(c, AUDITED_FIELDS)
    c.handling_path = HandlingPath.QUICK
    c.version += 1
    c.save()
    sla.deadlines_drop_8d(complaint_id=c.pk)
    events.event_record(
        complaint=c,
        verb="returned_to_quick",
        actor=actor,
        note=reason,
        changes=events.diff(before, events.snapshot(c, AUDITED_FIELDS)),
    )
    return c


def complaint_await_customer_after_8d(
    *, complaint: Complaint, actor: User, resolution: str
) -> Complaint | None:
    """The complaint's 8D closed: an in-progress complaint on the 8D path now awaits the customer, told
    ``resolution`` (the D8 customer summary). Others (already closed, still awaiting) are left as they
    are. Runs in the caller's transaction (the 8D closure), which holds the case lock."""
    c = complaint_lock(complaint, None)
    if c.status != Status.IN_PROGRESS or c.handling_path != HandlingPath.EIGHT_D:
        return None
    return _mark_resolved(
        c, actor, resolution, {"investigation": c.investigation.number if c.investigation else None}
    )


def _mark_resolved(
    c: Complaint, actor: User, resolution: str, data: dict[str, Any] | None = None
) -> Complaint:
    """in progress -> awaiting customer, told ``resolution``; the caller holds ``c`` locked."""
    check_transition(c.status, Status.AWAITING_CUSTOMER)
    before = events.snapshot(c, AUDITED_FIELDS)
    c.status, c.resolution, c.resolved_at = Status.AWAITING_CUSTOMER, resolution, clock.now()
    c.version += 1
    c.save()
    events.event_record(
        complaint=c,
        verb="resolved",
        actor=actor,
        note=resolution,
        data=data,
        changes=events.diff(before, events.snapshot(c, AUDITED_FIELDS)),
    )
    # What was done, told to the customer, is the handling proposal (if the 8D's D3 did not already).
    sla.deadline_meet(complaint_id=c.pk, target=Target.PROPOSAL)
    # The customer's time to answer is not ours: the clocks stop until the verdict (a pause already
    # open, e.g. for returned parts, simply goes on).
    if clock_pause_current(complaint_id=c.pk) is None:
        sla.clock_pause_open(complaint=c, reason=PauseReason.AWAITING_CONFIRMATION, note="", actor=actor)
    return c


@transaction.atomic
def complaint_resolve(
    *, complaint: Complaint, actor: User, resolution: str, expected_version: int | None = None
) -> Complaint:
    """in progress -> awaiting customer confirmation, with what was done (told to the customer)."""
    c = complaint_lock(complaint, expected_version)
    _check(actor, c)
    if c.handling_path == HandlingPath.EIGHT_D:
        raise TransitionNotAllowed(_("This complaint is resolved by closing its 8D."))
    resolution = (resolution or "").strip()
    if not resolution:
        raise FieldErrors.single("resolution", _("Say what was done for the customer."))
    return _mark_resolved(c, actor, resolution)


@transaction.atomic
def complaint_record_verdict(
    *,
    complaint: Complaint,
    actor: User,
    satisfied: bool,
    score: int | None = None,
    comment: str = "",
    reopen_reason: str = "",
    reopen_step: int | None = None,
    expected_version: int | None = None,
) -> Complaint:
    """Record the customer's answer. Satisfied closes the complaint (score 1–5 required); not satisfied
    reopens it (reason required), counts the reopen and keeps the earlier resolution in the history.

    On the 8D path, not satisfied also reopens the case at ``reopen_step`` (0–8), which only a quality
    manager chooses; a case already reopened by another of its complaints is left as it is."""
    c = complaint_lock(complaint, expected_version)
    _check(actor, c)
    errors = FieldErrors()
    reopen_case = (
        not satisfied
        and c.handling_path == HandlingPath.EIGHT_D
        and c.investigation is not None
        and c.investigation.status == "closed"
    )
    if reopen_case:
        if not actor.has_perm("investigations.approve_step"):
            raise PermissionDenied(_("Only a quality manager chooses where the 8D starts again."))
        if reopen_step is None or not 0 <= reopen_step <= 8:
            errors.add("reopen_step", _("Choose the step where the 8D starts again."))
    if satisfied and (score is None or not 1 <= score <= 5):
        errors.add("score", _("Give the customer's satisfaction from 1 to 5."))
    if not satisfied and score is not None and not 1 <= score <= 5:
        errors.add("score", _("Give the customer's satisfaction from 1 to 5."))
    if not satisfied and not (reopen_reason or "").strip():
        errors.add("reopen_reason", _("Say why the customer is not satisfied."))
    errors.raise_if_any()
    target = Status.CLOSED if satisfied else Status.IN_PROGRESS
    check_transition(c.status, target)
    now = clock.now()
    verdict = CustomerVerdict.objects.create(
        complaint=c,
        satisfied=satisfied,
        score=score,
        comment=(comment or "").strip(),
        reopen_reason=(reopen_reason or "").strip(),
        recorded_by=actor,
        recorded_at=now,
    )
    if reopen_case:
        from closeloop.investigations.services import investigation_reopen

        assert c.investigation is not None and reopen_step is not None
        investigation_reopen(
            investigation=c.investigation, actor=actor, step=reopen_step, reason=verdict.reopen_reason
        )
    before = events.snapshot(c, AUDITED_FIELDS)
    c.status = target
    # The wait on the customer ends either way; it moves the deadlines first, so closing is not counted
    # late for the customer's time.
    sla.clock_pause_close(complaint=c, actor=actor)
    if satisfied:
        c.closed_at = now
        sla.deadline_meet(complaint_id=c.pk, target=Target.CLOSURE)
    else:
        c.reopen_count += 1
        c.resolved_at = None
    c.version += 1
    c.save()
    events.event_record(
        complaint=c,
        verb="closed" if satisfied else "reopened",
        actor=actor,
        note=verdict.comment if satisfied else verdict.reopen_reason,
        changes=events.diff(before, events.snapshot(c, AUDITED_FIELDS)),
        data={"verdict": verdict.pk, "satisfied": satisfied, "score": score},
    )
    notify_verdict_recorded(complaint=c, actor=actor, satisfied=satisfied, score=score)
    return c
