"""Writers for handling a triaged complaint on the quick-resolution path, and the customer's verdict.

triaged --start--> in progress --resolve--> awaiting customer --satisfied--> closed
                        ^                                     |
                        +------------- not satisfied ---------+   (reopened; counted, reason kept)

Each function locks the complaint row (``services.complaint_lock``), checks the transition table, writes the
change and its event in one transaction. Who may act: triagers (quality roles) and the complaint's owner.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import User
from closeloop.complaints import events
from closeloop.complaints.models import Complaint, CustomerVerdict
from closeloop.complaints.services import AUDITED_FIELDS, complaint_lock
from closeloop.complaints.workflow import HandlingPath, Status, check_transition
from closeloop.core import clock
from closeloop.core.errors import FieldErrors, PermissionDenied


def complaint_can_handle(*, user: User, complaint: Complaint) -> bool:
    return bool(
        user.has_perm("complaints.triage_complaint")
        or (complaint.owner_id is not None and complaint.owner_id == user.pk)
    )


def _check(user: User, c: Complaint) -> None:
    if not complaint_can_handle(user=user, complaint=c):
        raise PermissionDenied(_("Only the owner or the quality team may handle this complaint."))


@transaction.atomic
def complaint_start_handling(
    *, complaint: Complaint, actor: User, path: str = HandlingPath.QUICK, expected_version: int | None = None
) -> Complaint:
    """triaged -> in progress on ``path``. An unowned complaint becomes the actor's."""
    c = complaint_lock(complaint, expected_version)
    _check(actor, c)
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
    return c


@transaction.atomic
def complaint_resolve(
    *, complaint: Complaint, actor: User, resolution: str, expected_version: int | None = None
) -> Complaint:
    """in progress -> awaiting customer confirmation, with what was done (told to the customer)."""
    c = complaint_lock(complaint, expected_version)
    _check(actor, c)
    resolution = (resolution or "").strip()
    if not resolution:
        raise FieldErrors.single("resolution", _("Say what was done for the customer."))
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
        changes=events.diff(before, events.snapshot(c, AUDITED_FIELDS)),
    )
    return c


@transaction.atomic
def complaint_record_verdict(
    *,
    complaint: Complaint,
    actor: User,
    satisfied: bool,
    score: int | None = None,
    comment: str = "",
    reopen_reason: str = "",
    expected_version: int | None = None,
) -> Complaint:
    """Record the customer's answer. Satisfied closes the complaint (score 1–5 required); not satisfied
    reopens it (reason required), counts the reopen and keeps the earlier resolution in the history."""
    c = complaint_lock(complaint, expected_version)
    _check(actor, c)
    errors = FieldErrors()
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
    before = events.snapshot(c, AUDITED_FIELDS)
    c.status = target
    if satisfied:
        c.closed_at = now
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
    return c
