"""Ending a case early: cancelled when D0 finds no 8D is needed."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import User
from closeloop.complaints.models import Complaint
from closeloop.core import clock
from closeloop.core.errors import ValidationFailed
from closeloop.investigations import events
from closeloop.investigations.models import Investigation
from closeloop.investigations.services._base import (
    _lock_case,
    _require_approver,
)
from closeloop.investigations.workflow import (
    CaseStatus,
    check_case_transition,
)


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
