"""8D timeline rows, written in the same transaction as the change they record.

Milestones (opened, a step submitted/approved/sent back, closed, reopened) are also written on the
timeline of every complaint the case covers, so each complaint follows its 8D's progress.
"""

from __future__ import annotations

from typing import Any

from closeloop.complaints import events as complaint_events
from closeloop.complaints.models import Complaint
from closeloop.core import clock
from closeloop.investigations.models import Investigation, InvestigationEvent

MILESTONES = frozenset(
    {
        "opened",
        "complaint_linked",
        "step_submitted",
        "step_approved",
        "step_returned",
        "closed",
        "reopened",
        "cancelled",
        "cost_verified",
        "summary_reviewed",
    }
)


def event_record(
    *,
    investigation: Investigation,
    verb: str,
    actor: Any = None,
    step: int | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> InvestigationEvent:
    """Append one event to the case (and, for milestones, to its complaints). Caller holds the transaction."""
    payload = dict(data or {})
    ev = InvestigationEvent.objects.create(
        investigation=investigation,
        verb=verb,
        step=step,
        actor=actor if getattr(actor, "pk", None) else None,
        created_at=clock.now(),
        note=note,
        data=payload,
    )
    if verb in MILESTONES:
        for complaint in Complaint.objects.filter(investigation=investigation).only("pk"):
            complaint_events.event_record(
                complaint=complaint,
                verb=f"8d_{verb}",
                actor=actor,
                note=note,
                data={"investigation": investigation.number, "step": step, **payload},
            )
    return ev
