"""The only writers of actions. Each runs in one transaction, locks the action row, checks the
transition table and writes an event on the complaint's timeline in the same transaction."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import Department, User
from closeloop.actions.models import Action
from closeloop.actions.workflow import ActionKind, ActionStatus, check_action_transition
from closeloop.complaints import events
from closeloop.complaints.handling import complaint_can_handle
from closeloop.complaints.models import Complaint
from closeloop.complaints.workflow import FINAL_STATUSES
from closeloop.core import clock
from closeloop.core.errors import Conflict, FieldErrors, PermissionDenied, ValidationFailed


def _event(action: Action, verb: str, actor: User, note: str = "") -> None:
    events.event_record(
        complaint=action.complaint,
        verb=verb,
        actor=actor,
        note=note,
        data={"action": action.pk, "title": action.title, "owner": str(action.owner)},
    )


@transaction.atomic
def action_create(
    *,
    complaint: Complaint,
    actor: User,
    title: str,
    owner: User | None,
    due_date: dt.date | None,
    kind: str = ActionKind.TASK,
    description: str = "",
    department: Department | None = None,
) -> Action:
    """Break the handling of ``complaint`` into an action with an owner and a due date.

    Only the complaint's handlers (owner, quality roles) may; the due date may not lie in the past.
    """
    if not complaint_can_handle(user=actor, complaint=complaint):
        raise PermissionDenied(_("Only the owner or the quality team may add actions."))
    if complaint.status in FINAL_STATUSES:
        raise ValidationFailed(_("This complaint is finished; it takes no new actions."))
    errors = FieldErrors()
    title = (title or "").strip()
    if not title:
        errors.add("title", _("Say what must be done."))
    if owner is None or not owner.is_active:
        errors.add("owner", _("Choose who does it."))
    if due_date is None:
        errors.add("due_date", _("Give a due date."))
    elif due_date < clock.today():
        errors.add("due_date", _("The due date cannot be in the past."))
    if kind not in ActionKind.values:
        errors.add("kind", _("Choose the kind of action."))
    errors.raise_if_any()
    assert owner is not None and due_date is not None
    action = Action.objects.create(
        complaint=complaint,
        kind=kind,
        title=title,
        description=(description or "").strip(),
        owner=owner,
        department=department or owner.department,
        due_date=due_date,
        requested_by=actor,
    )
    _event(action, "action_created", actor)
    return action


def _locked(action: Action, expected_version: int | None) -> Action:
    locked = (
        Action.objects.select_for_update(of=("self",)).select_related("complaint", "owner").get(pk=action.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(extra={"current_version": locked.version})
    return locked


def _save(a: Action, status: str) -> None:
    a.status = status
    a.version += 1
    a.save()


@transaction.atomic
def action_start(*, action: Action, actor: User, expected_version: int | None = None) -> Action:
    a = _locked(action, expected_version)
    if actor.pk != a.owner_id:
        raise PermissionDenied(_("Only the action's owner may start it."))
    check_action_transition(a.status, ActionStatus.IN_PROGRESS)
    _save(a, ActionStatus.IN_PROGRESS)
    _event(a, "action_started", actor)
    return a


@transaction.atomic
def action_complete(*, action: Action, actor: User, note: str, expected_version: int | None = None) -> Action:
    """The owner reports it done, saying what was done; it then waits for verification of its effect."""
    a = _locked(action, expected_version)
    if actor.pk != a.owner_id:
        raise PermissionDenied(_("Only the action's owner may complete it."))
    note = (note or "").strip()
    if not note:
        raise FieldErrors.single("note", _("Say what was done."))
    check_action_transition(a.status, ActionStatus.DONE)
    a.done_note, a.done_at = note, clock.now()
    _save(a, ActionStatus.DONE)
    _event(a, "action_done", actor, note)
    return a


def _check_verifier(actor: User, a: Action) -> None:
    if actor.pk == a.owner_id:
        raise PermissionDenied(_("Someone other than the owner verifies an action's effect."))
    if not (actor.pk == a.requested_by_id or actor.has_perm("complaints.triage_complaint")):
        raise PermissionDenied(_("Only whoever asked for the action, or the quality team, may verify it."))


@transaction.atomic
def action_verify(*, action: Action, actor: User, note: str, expected_version: int | None = None) -> Action:
    """Confirm the action had its effect (效果验证)."""
    a = _locked(action, expected_version)
    _check_verifier(actor, a)
    note = (note or "").strip()
    if not note:
        raise FieldErrors.single("note", _("Say how the effect was checked."))
    check_action_transition(a.status, ActionStatus.VERIFIED)
    a.verified_by, a.verified_at, a.verification_note = actor, clock.now(), note
    _save(a, ActionStatus.VERIFIED)
    _event(a, "action_verified", actor, note)
    return a


@transaction.atomic
def action_reject(*, action: Action, actor: User, reason: str, expected_version: int | None = None) -> Action:
    """Send a done action back to its owner: the effect was not there."""
    a = _locked(action, expected_version)
    _check_verifier(actor, a)
    reason = (reason or "").strip()
    if not reason:
        raise FieldErrors.single("note", _("Say why the action is not done."))
    check_action_transition(a.status, ActionStatus.IN_PROGRESS)
    _save(a, ActionStatus.IN_PROGRESS)
    _event(a, "action_rejected", actor, reason)
    return a
