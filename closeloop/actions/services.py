"""The only writers of actions. Each runs in one transaction, locks the action row, checks the
transition table and writes an event on the complaint's timeline in the same transaction."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import Department, User
from closeloop.actions.models import Action, ActionComment, ActionEvidence
from closeloop.actions.workflow import ActionKind, ActionStatus, check_action_transition
from closeloop.complaints import events
from closeloop.complaints.handling import complaint_can_handle
from closeloop.complaints.models import Complaint
from closeloop.complaints.workflow import FINAL_STATUSES
from closeloop.core import clock
from closeloop.core.errors import Conflict, FieldErrors, PermissionDenied, ValidationFailed
from closeloop.notifications import rules

if TYPE_CHECKING:
    from closeloop.investigations.models import Investigation


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
    investigation: Investigation | None = None,
    step: int | None = None,
    start_date: dt.date | None = None,
    tracker: User | None = None,
) -> Action:
    """Break the handling of ``complaint`` into an action with an owner and a due date.

    Only the complaint's handlers (owner, quality roles) may; the due date may not lie in the past.
    An 8D action (``investigation`` given, on the case's first complaint) is added by the 8D's team
    instead, to an open case, and may carry the D6 plan's start date and tracker (who verifies it).
    """
    if investigation is not None:
        from closeloop.investigations.selectors import investigation_can_edit

        if not investigation_can_edit(user=actor, investigation=investigation):
            raise PermissionDenied(
                _("Only the 8D's owner, its team and quality managers may add its actions.")
            )
        if investigation.status != "open":
            raise ValidationFailed(_("This 8D is closed; it takes no new actions."))
    elif not complaint_can_handle(user=actor, complaint=complaint):
        raise PermissionDenied(_("Only the owner or the quality team may add actions."))
    if complaint.status in FINAL_STATUSES:
        raise ValidationFailed(_("This complaint is finished; it takes no new actions."))
    errors = FieldErrors()
    if step is not None and not 0 <= step <= 8:
        errors.add("step", _("Choose a step from D0 to D8."))
    if start_date is not None and due_date is not None and start_date > due_date:
        errors.add("start_date", _("The start cannot be after the due date."))
    if tracker is not None and not tracker.is_active:
        errors.add("tracker", _("Choose an active person."))
    if tracker is not None and owner is not None and tracker.pk == owner.pk:
        errors.add("tracker", _("The tracker verifies the owner's work: choose someone else."))
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
        investigation=investigation,
        step=step,
        start_date=start_date,
        tracker=tracker,
    )
    _event(action, "action_created", actor)
    rules.notify_action_assigned(action=action, actor=actor)
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
    rules.notify_action_done(action=a, actor=actor)
    return a


def _check_verifier(actor: User, a: Action) -> None:
    if actor.pk == a.owner_id:
        raise PermissionDenied(_("Someone other than the owner verifies an action's effect."))
    if not (actor.pk in (a.requested_by_id, a.tracker_id) or actor.has_perm("complaints.triage_complaint")):
        raise PermissionDenied(
            _("Only the action's tracker, whoever asked for it, or the quality team may verify it.")
        )


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
    rules.notify_action_verified(action=a, actor=actor)
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
    rules.notify_action_rejected(action=a, actor=actor, note=reason)
    return a


def action_can_add_evidence(*, user: User, action: Action) -> bool:
    """The owner, the tracker, whoever asked for it and the quality team document an action."""
    return bool(
        user.pk in (action.owner_id, action.tracker_id, action.requested_by_id)
        or user.has_perm("complaints.triage_complaint")
    )


@transaction.atomic
def action_comment_add(*, action: Action, actor: User, body: str) -> ActionComment:
    """Add a comment. The caller has checked that ``actor`` may see the action (selectors)."""
    body = (body or "").strip()
    if not body:
        raise FieldErrors.single("body", _("Write a comment first."))
    if len(body) > 5000:
        raise FieldErrors.single("body", _("This text is too long."))
    comment = ActionComment.objects.create(action=action, author=actor, body=body, created_at=clock.now())
    _event(action, "action_commented", actor, body)
    return comment


@transaction.atomic
def action_evidence_add(
    *, action: Action, actor: User, files: list[tuple[str, bytes]]
) -> list[ActionEvidence]:
    """Attach evidence files (photos, reports) to an action; each is type-checked by its content.
    All or nothing: one refused file saves none of them."""
    from closeloop.complaints.attachments import attachment_add

    if not action_can_add_evidence(user=actor, action=action):
        raise PermissionDenied(
            _("Only the action's owner, tracker, requester or the quality team add evidence.")
        )
    if action.status in (ActionStatus.VERIFIED, ActionStatus.CANCELLED):
        raise ValidationFailed(_("This action is finished; its evidence can no longer change."))
    if not files:
        raise FieldErrors.single("files", _("Choose at least one file."))
    out = []
    for name, data in files:
        try:
            att = attachment_add(
                complaint=action.complaint, actor=actor, name=name, data=data, record_event=False
            )
        except ValidationFailed as exc:  # the form's field is "files"
            raise ValidationFailed(fields={"files": [m for ms in exc.fields.values() for m in ms]}) from exc
        out.append(ActionEvidence.objects.create(action=action, attachment=att))
    events.event_record(
        complaint=action.complaint,
        verb="action_evidence_added",
        actor=actor,
        data={"action": action.pk, "title": action.title, "files": [n for n, _d in files]},
    )
    return out


def actions_overdue_notify(*, today: dt.date | None = None, batch: int = 200) -> int:
    """Tell the owner (and whoever asked for it and tracks it) once about each open action past its due
    date; each notice is a timeline event too. Returns how many actions were told about.

    Rows are claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` in one short transaction per batch, so
    several workers running the periodic check at once never tell anyone twice.
    """
    today = today or clock.today()
    told = 0
    while True:
        with transaction.atomic():
            rows = list(
                Action.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("complaint", "owner", "requested_by", "tracker")
                .filter(
                    status__in=[ActionStatus.OPEN, ActionStatus.IN_PROGRESS],
                    due_date__lt=today,
                    overdue_notified_at__isnull=True,
                )
                .order_by("due_date", "pk")[:batch]
            )
            if not rows:
                return told
            now = clock.now()
            for a in rows:
                a.overdue_notified_at = now
                a.save(update_fields=["overdue_notified_at"])
                events.event_record(
                    complaint=a.complaint,
                    verb="action_overdue",
                    data={
                        "action": a.pk,
                        "title": a.title,
                        "owner": str(a.owner),
                        "due": a.due_date.isoformat(),
                    },
                )
                rules.notify_action_overdue(action=a)
            told += len(rows)
        if len(rows) < batch:
            return told
