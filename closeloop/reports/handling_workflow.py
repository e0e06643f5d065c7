"""The handling report's life: a literal table of allowed moves and the permission each needs. Pure.

draft --submit--> in review --approve--> approved --send--> sent --accept--> accepted
                  in review --return--> draft                sent --reject--> rejected
A new version supersedes an earlier one that was never sent; sent, accepted and rejected versions stay as
they were (the ledger of what the customer received and answered).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from closeloop.core.workflow import transition_check
from closeloop.reports.models import HandlingReportStatus as S

APPROVE_PERMISSION = "reports.approve_handling_report"

TRANSITIONS: dict[tuple[str, str], str] = {
    (S.DRAFT, S.IN_REVIEW): "submit",
    (S.IN_REVIEW, S.APPROVED): "approve",
    (S.IN_REVIEW, S.DRAFT): "return",
    (S.APPROVED, S.SENT): "send",
    (S.SENT, S.ACCEPTED): "accept",
    (S.SENT, S.REJECTED): "reject",
    (S.DRAFT, S.SUPERSEDED): "supersede",
    (S.IN_REVIEW, S.SUPERSEDED): "supersede",
    (S.APPROVED, S.SUPERSEDED): "supersede",
}

EDITABLE = frozenset({S.DRAFT})
# A version the customer never received may be replaced by a new draft.
UNSENT = frozenset({S.DRAFT, S.IN_REVIEW, S.APPROVED})


def check_handling_transition(current: str, target: str) -> None:
    """Raise TransitionNotAllowed unless ``current -> target`` is in the table."""
    transition_check(
        TRANSITIONS,
        S,
        current,
        target,
        _("A handling report that is “%(current)s” cannot become “%(target)s”."),
    )
