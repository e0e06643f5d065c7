"""The complaint lifecycle as a literal transition table. Pure: no ORM writes.

Only the complaint writers assign ``Complaint.status`` (``complaints.services`` and ``complaints.handling``;
a new complaint starts ``new`` in ``complaints.creation``), and only after :func:`check_transition`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.core.workflow import transition_check


class Status(models.TextChoices):
    NEW = "new", _("New")
    TRIAGED = "triaged", _("Triaged")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_CUSTOMER = "awaiting_customer", _("Awaiting customer confirmation")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Invalid")
    MERGED = "merged", _("Duplicate")


class HandlingPath(models.TextChoices):
    """How a triaged complaint is handled. Quick resolution: respond, resolve, confirm (no 8D); full 8D:
    the complaint follows an 8D case (which may cover several complaints) and awaits the customer when
    the case closes. A quick resolution can be escalated to a full 8D."""

    QUICK = "quick", _("Quick resolution")
    EIGHT_D = "8d", _("Full 8D")


OPEN_STATUSES = frozenset({Status.NEW, Status.TRIAGED, Status.IN_PROGRESS, Status.AWAITING_CUSTOMER})
# Ended for good: nothing but reading happens to these.
FINAL_STATUSES = frozenset({Status.CLOSED, Status.REJECTED, Status.MERGED})

# (from, to) -> the action that performs it.
TRANSITIONS: dict[tuple[str, str], str] = {
    (Status.NEW, Status.TRIAGED): "triage",
    (Status.TRIAGED, Status.TRIAGED): "triage",
    (Status.NEW, Status.REJECTED): "mark_invalid",
    (Status.TRIAGED, Status.REJECTED): "mark_invalid",
    (Status.NEW, Status.MERGED): "mark_duplicate",
    (Status.TRIAGED, Status.MERGED): "mark_duplicate",
    (Status.TRIAGED, Status.IN_PROGRESS): "start_handling",
    (Status.IN_PROGRESS, Status.AWAITING_CUSTOMER): "resolve",
    (Status.AWAITING_CUSTOMER, Status.CLOSED): "verdict_satisfied",
    (Status.AWAITING_CUSTOMER, Status.IN_PROGRESS): "reopen",
}


def can_transition(current: str, target: str) -> bool:
    return (current, target) in TRANSITIONS


def check_transition(current: str, target: str) -> None:
    """Raise TransitionNotAllowed naming both states when ``current -> target`` is not in the table."""
    transition_check(
        TRANSITIONS,
        Status,
        current,
        target,
        _("A complaint that is “%(current)s” cannot become “%(target)s”."),
    )
