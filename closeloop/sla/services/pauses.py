"""The only writers of clock pauses: a complaint's clocks stand still while it waits on the customer
and its deadlines move later by the wait when it resumes."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import User
from closeloop.complaints import events
from closeloop.complaints.models import Complaint
from closeloop.complaints.workflow import FINAL_STATUSES
from closeloop.core import clock
from closeloop.core.errors import FieldErrors, PermissionDenied
from closeloop.sla.models import ClockPause, PauseReason
from closeloop.sla.services.deadlines import deadlines_move_after_pause, deadlines_pause


def _lock_and_check(complaint: Complaint, actor: User) -> Complaint:
    # Imported here: complaints.services and complaints.handling import this package at load time.
    from closeloop.complaints.handling import complaint_can_handle
    from closeloop.complaints.services import complaint_lock

    c = complaint_lock(complaint, None)
    if not complaint_can_handle(user=actor, complaint=c):
        raise PermissionDenied(_("Only the owner or the quality team may handle this complaint."))
    return c


def clock_pause_open(*, complaint: Complaint, reason: str, note: str, actor: User | None) -> ClockPause:
    """Stop the complaint's clocks now, for ``reason`` (a ``PauseReason``), with a timeline event.

    Contract: the caller holds ``complaint``'s row lock (``complaints.services.complaint_lock``) in its
    transaction and has checked who may act. Raises ValidationFailed naming ``reason`` for an unknown
    reason or a complaint already paused, and ``complaint`` for an ended one."""
    if complaint.status in FINAL_STATUSES:
        raise FieldErrors.single("complaint", _("An ended complaint has no clock to pause."))
    if reason not in PauseReason.values:
        raise FieldErrors.single("reason", _("Choose why the complaint waits on the customer."))
    current = ClockPause.objects.filter(complaint=complaint, ended_at__isnull=True).first()
    if current is not None:
        raise FieldErrors.single(
            "reason",
            _("The clock is already paused since %(since)s.")
            % {"since": timezone.localtime(current.started_at).strftime("%Y-%m-%d %H:%M")},
        )
    now = clock.now()
    pause = ClockPause.objects.create(
        complaint=complaint,
        reason=reason,
        note=(note or "").strip(),
        started_at=now,
        started_by=actor if getattr(actor, "pk", None) else None,
    )
    deadlines_pause(complaint_id=complaint.pk, since=now)
    events.event_record(
        complaint=complaint, verb="clock_paused", actor=actor, note=pause.note, data={"reason": reason}
    )
    return pause


def clock_pause_close(*, complaint: Complaint, actor: User | None) -> ClockPause | None:
    """End the complaint's open pause now and move its unmet deadlines later by the wait, with a
    timeline event; None (and nothing written) when the clock is running.

    Contract: the caller holds ``complaint``'s row lock in its transaction (the lock serialises this
    with a concurrent pause; the deadlines' rows are locked while they move, so a running scan
    finishes with them first)."""
    pause = ClockPause.objects.select_for_update().filter(complaint=complaint, ended_at__isnull=True).first()
    if pause is None:
        return None
    pause.ended_at = clock.now()
    pause.ended_by = actor if getattr(actor, "pk", None) else None
    pause.save(update_fields=["ended_at", "ended_by"])
    moved = deadlines_move_after_pause(complaint=complaint)
    events.event_record(
        complaint=complaint,
        verb="clock_resumed",
        actor=actor,
        data={"reason": pause.reason, "paused_since": pause.started_at.isoformat(), "moved": moved},
    )
    return pause


@transaction.atomic
def complaint_clock_pause(*, complaint: Complaint, reason: str, note: str = "", actor: User) -> ClockPause:
    """The complaint waits on the customer (``reason``, with a ``note``): its clocks stop until resumed.

    Locks the complaint row first. Who may: the owner and the quality team (as for other handling).
    Raises PermissionDenied, or ValidationFailed naming ``reason`` (unknown, or already paused) or
    ``complaint`` (closed, invalid or a duplicate)."""
    c = _lock_and_check(complaint, actor)
    return clock_pause_open(complaint=c, reason=reason, note=note, actor=actor)


@transaction.atomic
def complaint_clock_resume(*, complaint: Complaint, actor: User) -> ClockPause:
    """The customer answered: the complaint's clocks run again and its unmet deadlines move later by
    the wait (working time for working units, calendar time otherwise).

    Locks the complaint row first. Who may: as :func:`complaint_clock_pause`. Raises PermissionDenied,
    or ValidationFailed naming ``complaint`` when its clock is not paused."""
    c = _lock_and_check(complaint, actor)
    pause = clock_pause_close(complaint=c, actor=actor)
    if pause is None:
        raise FieldErrors.single("complaint", _("The clock is not paused."))
    return pause
