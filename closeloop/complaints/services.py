"""The writers of existing complaints: triage, assignment, invalid and duplicate, attachments. Each
function runs in one transaction, writes its event(s) in that transaction, and leaves side effects to
``transaction.on_commit``. New complaints are written by ``closeloop.complaints.creation``.
"""

from __future__ import annotations

import enum
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import Department, User
from closeloop.complaints import events
from closeloop.complaints.config import priority_weights_current
from closeloop.complaints.events import AUDITED_FIELDS
from closeloop.complaints.models import Category, Complaint, PriorityWeights
from closeloop.complaints.priority import priority_compute, priority_facts
from closeloop.complaints.workflow import FINAL_STATUSES, HandlingPath, Status, check_transition
from closeloop.core import clock
from closeloop.core.errors import (
    ApplicationError,
    Conflict,
    FieldErrors,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationFailed,
)
from closeloop.customers.models import Site
from closeloop.notifications.rules import (
    notify_complaint_accepted,
    notify_complaint_assigned,
    notify_complaint_rejected,
)
from closeloop.sla.services import deadlines_plan


class Keep(enum.Enum):
    """Marks an optional argument the caller leaves as it is (None would clear it)."""

    KEEP = "keep"


KEEP = Keep.KEEP


def _apply_priority(complaint: Complaint, weights: PriorityWeights | None = None) -> None:
    complaint.priority_score, complaint.priority_breakdown = priority_compute(
        priority_facts(complaint), weights or priority_weights_current()
    )


def complaint_lock(complaint: Complaint, expected_version: int | None) -> Complaint:
    """Re-read the complaint under a row lock; refuse when the caller edited an older version."""
    locked = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("customer", "product", "site", "order", "category")
        .get(pk=complaint.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(extra={"current_version": locked.version})
    return locked


@transaction.atomic
def complaint_triage(
    *,
    complaint: Complaint,
    actor: User,
    expected_version: int | None = None,
    category: Category | None,
    severity: str,
    urgency: str,
    impact_scope: str,
    safety_risk: bool,
    owner: User | None = None,
    department: Department | None = None,
    reassign: bool = False,
    handling_path: str | None = None,
    site: Site | Keep | None = KEEP,
) -> Complaint:
    """Set the triage facts, recompute the priority, and (if ``reassign``) set owner/department.
    ``handling_path`` ("quick" or "8d") records how the complaint will be handled; starting the handling
    then follows it unless told otherwise (None keeps what was chosen before, "" clears it).
    ``site`` moves the complaint to another plant (None clears it; KEEP, the default, keeps it); a
    site newly chosen must be active.

    Moves ``new`` to ``triaged``; a triaged complaint can be triaged again. Locks the complaint row.
    The first move from ``new`` accepts the complaint and notifies (see
    ``notifications.rules.notify_complaint_accepted``); a newly assigned owner is notified too.
    Raises PermissionDenied, Conflict (stale version), TransitionNotAllowed, ValidationFailed.
    """
    if not actor.has_perm("complaints.triage_complaint"):
        raise PermissionDenied()
    c = complaint_lock(complaint, expected_version)
    check_transition(c.status, Status.TRIAGED)
    accepted_now = c.status == Status.NEW and c.triaged_at is None
    owner_before = c.owner_id
    errors = FieldErrors()
    if category is None:
        errors.add("category", _("Choose a category."))
    if handling_path and handling_path not in HandlingPath.values:
        errors.add("handling_path", _("Choose how the complaint is handled."))
    if isinstance(site, Site) and site.pk != c.site_id and not site.is_active:
        errors.add("site", _("Site %(code)s is inactive.") % {"code": site.code})
    errors.raise_if_any()
    before = events.snapshot(c, AUDITED_FIELDS)
    if handling_path is not None:
        c.handling_path = handling_path
    if not isinstance(site, Keep):
        c.site = site
    c.category, c.severity, c.urgency = category, severity, urgency
    c.impact_scope, c.safety_risk = impact_scope, safety_risk
    if reassign:
        _set_assignment(c, actor=actor, owner=owner, department=department)
    _apply_priority(c)
    c.status = Status.TRIAGED
    if c.triaged_at is None:
        c.triaged_at = clock.now()
    c.version += 1
    c.save()
    events.event_record(
        complaint=c,
        verb="triaged",
        actor=actor,
        changes=events.diff(before, events.snapshot(c, AUDITED_FIELDS)),
    )
    deadlines_plan(complaint=c)
    if accepted_now:
        notify_complaint_accepted(complaint=c, actor=actor)
    if c.owner_id is not None and c.owner_id != owner_before:
        notify_complaint_assigned(complaint=c, actor=actor)
    return c


def _set_assignment(c: Complaint, *, actor: User, owner: User | None, department: Department | None) -> None:
    if owner is not None and owner.pk != actor.pk and not actor.has_perm("complaints.assign_complaint"):
        raise PermissionDenied(
            _("You may only assign complaints to yourself."),
            fields={"owner": [_("You may only assign complaints to yourself.")]},
        )
    if owner is not None and not owner.is_active:
        raise ValidationFailed(fields={"owner": [_("This user is not active.")]})
    c.owner = owner
    c.department = department or (owner.department if owner else None)


@transaction.atomic
def complaint_assign(
    *,
    complaint: Complaint,
    actor: User,
    owner: User | None,
    department: Department | None = None,
    expected_version: int | None = None,
) -> Complaint:
    """Override the owner/department chosen on intake; a newly assigned owner is notified. Locks the
    complaint row."""
    if not (actor.has_perm("complaints.assign_complaint") or actor.has_perm("complaints.triage_complaint")):
        raise PermissionDenied()
    c = complaint_lock(complaint, expected_version)
    owner_before = c.owner_id
    if c.status in FINAL_STATUSES:
        raise TransitionNotAllowed(
            _("A complaint that is “%(status)s” can no longer be reassigned.")
            % {"status": Status(c.status).label}
        )
    before = events.snapshot(c, AUDITED_FIELDS)
    _set_assignment(c, actor=actor, owner=owner, department=department)
    c.version += 1
    c.save()
    events.event_record(
        complaint=c,
        verb="assigned",
        actor=actor,
        changes=events.diff(before, events.snapshot(c, AUDITED_FIELDS)),
    )
    if c.owner_id is not None and c.owner_id != owner_before:
        notify_complaint_assigned(complaint=c, actor=actor)
    return c


@transaction.atomic
def complaint_mark_invalid(
    *, complaint: Complaint, actor: User, reason: str, expected_version: int | None = None
) -> Complaint:
    """Reject a complaint as invalid; the reason is kept and will be told to the customer."""
    if not actor.has_perm("complaints.triage_complaint"):
        raise PermissionDenied()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": [_("Say why the complaint is invalid.")]})
    c = complaint_lock(complaint, expected_version)
    check_transition(c.status, Status.REJECTED)
    before = events.snapshot(c, AUDITED_FIELDS)
    c.status = Status.REJECTED
    c.invalid_reason = reason
    c.version += 1
    c.save()
    events.event_record(
        complaint=c,
        verb="marked_invalid",
        actor=actor,
        note=reason,
        changes=events.diff(before, events.snapshot(c, AUDITED_FIELDS)),
    )
    notify_complaint_rejected(complaint=c, actor=actor)
    return c


@transaction.atomic
def complaint_mark_duplicate(
    *, complaint: Complaint, actor: User, original: Complaint, expected_version: int | None = None
) -> Complaint:
    """Link ``complaint`` to ``original`` as its duplicate (nothing is deleted). Both get an event.

    Refuses self-links and chains: a complaint already merged cannot be the original. Locks both
    complaint rows (in primary-key order).
    """
    if not actor.has_perm("complaints.triage_complaint"):
        raise PermissionDenied()
    if original.pk == complaint.pk:
        raise ValidationFailed(fields={"duplicate_of": [_("A complaint cannot duplicate itself.")]})
    # Lock both rows in primary-key order (two opposite merges cannot deadlock), then read the
    # original's current state: the caller's instance may be stale.
    list(
        Complaint.objects.select_for_update(of=("self",))
        .filter(pk__in=[complaint.pk, original.pk])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    original = Complaint.objects.get(pk=original.pk)
    if original.status == Status.MERGED:
        raise ValidationFailed(
            fields={
                "duplicate_of": [
                    _("%(number)s is itself a duplicate; link to its original instead.")
                    % {"number": original.number}
                ]
            }
        )
    c = complaint_lock(complaint, expected_version)
    check_transition(c.status, Status.MERGED)
    before = events.snapshot(c, AUDITED_FIELDS)
    c.status = Status.MERGED
    c.duplicate_of = original
    c.version += 1
    c.save()
    events.event_record(
        complaint=c,
        verb="marked_duplicate",
        actor=actor,
        changes=events.diff(before, events.snapshot(c, AUDITED_FIELDS)),
        data={"original": original.number},
    )
    events.event_record(
        complaint=original, verb="duplicate_linked", actor=actor, data={"duplicate": c.number}
    )
    return c


@transaction.atomic
def attachments_add(*, complaint: Complaint, actor: User, files: list[tuple[str, bytes]]) -> list[Any]:
    """Add several attachments at once: all are validated first, so one bad file stores none."""
    from closeloop.complaints.attachments import attachment_add, attachment_validate

    if not actor.has_perm("complaints.add_attachment"):
        raise PermissionDenied()
    errors = FieldErrors()
    for name, data in files:
        try:
            attachment_validate(name=name, data=data)
        except ValidationFailed as exc:
            for msgs in exc.fields.values():
                for m in msgs:
                    errors.add("attachments", m)
    errors.raise_if_any()
    return [attachment_add(complaint=complaint, actor=actor, name=n, data=d) for n, d in files]


def complaint_bulk_assign(
    *, actor: User, complaints: list[Complaint], owner: User | None
) -> tuple[list[Complaint], dict[str, str]]:
    """Assign each complaint to ``owner`` (None unassigns), each in its own transaction, so one that
    cannot be reassigned (closed, merged) does not hold back the others. Returns (assigned, {number:
    reason}) for the refused ones."""
    done: list[Complaint] = []
    refused: dict[str, str] = {}
    for c in complaints:
        try:
            done.append(complaint_assign(complaint=c, actor=actor, owner=owner))
        except ApplicationError as exc:
            refused[c.number] = str(exc.message)
    return done, refused
