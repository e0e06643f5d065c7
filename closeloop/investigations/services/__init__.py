"""The only writers of 8D cases. Every function runs in one transaction, locks what it changes
(``SELECT … FOR UPDATE``: the case row first, then the step row), checks the transition table and the
step's gate, writes the timeline event and the notifications (outbox rows) in that transaction.

Who may do what: the owner, the team and quality managers edit and submit; holders of the step's
approver permission approve or send back; finance verifies the D8 cost; the sales manager reviews what
the customer is told. Complaints enter a case through ``complaints.handling`` (start on the 8D path,
escalate from quick resolution); closing the case moves them to "awaiting customer".

The writers live in submodules (``steps``, ``team``, ``signoffs``, ``lifecycle``); this package exports
them all, so callers import ``closeloop.investigations.services``.
"""

from closeloop.investigations.services._base import StepIncomplete
from closeloop.investigations.services.lifecycle import investigation_cancel
from closeloop.investigations.services.signoffs import (
    investigation_cost_verify,
    investigation_signoff_request,
    investigation_summary_review,
)
from closeloop.investigations.services.steps import (
    discipline_approve,
    discipline_save,
    discipline_send_back,
    discipline_submit,
    investigation_create,
    investigation_reopen,
)
from closeloop.investigations.services.team import team_member_remove, team_member_set

__all__ = [
    "StepIncomplete",
    "discipline_approve",
    "discipline_save",
    "discipline_send_back",
    "discipline_submit",
    "investigation_cancel",
    "investigation_cost_verify",
    "investigation_create",
    "investigation_reopen",
    "investigation_signoff_request",
    "investigation_summary_review",
    "team_member_remove",
    "team_member_set",
]
