"""The 8D case as literal transition tables and gates. Pure: no ORM, no writes.

Each discipline (D0–D8) of a case is a step with its own small machine::

    todo --save--> draft --submit--> submitted --approve--> approved
                     ^                   |                      |
                     +--save-- returned <+--send back           +--reopen--> returned

A step is submitted only when every earlier step is approved and its gate finds nothing missing;
it is approved only by a holder of its approver permission. The case itself is open until D8 is
approved (closed), and a closed case is reopened at a chosen step when the customer is not satisfied.
Only ``investigations.services`` assigns these statuses, and only after :func:`check_step_transition`.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from closeloop.core.workflow import transition_check


class Step(models.IntegerChoices):
    D0 = 0, _("D0 Emergency response")
    D1 = 1, _("D1 Team")
    D2 = 2, _("D2 Problem description")
    D3 = 3, _("D3 Containment")
    D4 = 4, _("D4 Root cause")
    D5 = 5, _("D5 Corrective actions")
    D6 = 6, _("D6 Implementation and validation")
    D7 = 7, _("D7 Prevention")
    D8 = 8, _("D8 Closure")


STEPS: list[int] = [s.value for s in Step]
LAST_STEP = Step.D8.value


class StepStatus(models.TextChoices):
    TODO = "todo", _("To do")
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Sent back")


# Content may be changed in these states (by the team); never once submitted or approved.
EDITABLE_STEP_STATUSES = frozenset({StepStatus.TODO, StepStatus.DRAFT, StepStatus.RETURNED})

STEP_TRANSITIONS: dict[tuple[str, str], str] = {
    (StepStatus.TODO, StepStatus.DRAFT): "save",
    (StepStatus.DRAFT, StepStatus.DRAFT): "save",
    (StepStatus.RETURNED, StepStatus.RETURNED): "save",
    (StepStatus.DRAFT, StepStatus.SUBMITTED): "submit",
    (StepStatus.RETURNED, StepStatus.SUBMITTED): "submit",
    (StepStatus.SUBMITTED, StepStatus.APPROVED): "approve",
    (StepStatus.SUBMITTED, StepStatus.RETURNED): "send_back",
    (StepStatus.APPROVED, StepStatus.RETURNED): "reopen",
}


def check_step_transition(current: str, target: str) -> None:
    transition_check(
        STEP_TRANSITIONS,
        StepStatus,
        current,
        target,
        _("A step that is “%(current)s” cannot become “%(target)s”."),
    )


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


# Cancelled is final: D0 found no 8D is needed, and the complaints went back to quick resolution.
CASE_TRANSITIONS: dict[tuple[str, str], str] = {
    (CaseStatus.OPEN, CaseStatus.CLOSED): "close",
    (CaseStatus.CLOSED, CaseStatus.OPEN): "reopen",
    (CaseStatus.OPEN, CaseStatus.CANCELLED): "cancel",
}


def check_case_transition(current: str, target: str) -> None:
    transition_check(
        CASE_TRANSITIONS,
        CaseStatus,
        current,
        target,
        _("An 8D that is “%(current)s” cannot become “%(target)s”."),
    )


class TeamRole(models.TextChoices):
    LEADER = "leader", _("Leader")
    CHAMPION = "champion", _("Champion")
    MEMBER = "member", _("Member")


# Who approves each step (a permission, held by roles: see accounts.roles). The D8 closure also needs
# the finance role's verification of the cost (财务认证) and the sales manager's review of what the
# customer is told, both recorded before the quality manager approves.
APPROVE_PERMISSION = "investigations.approve_step"
VERIFY_COST_PERMISSION = "investigations.verify_cost"
REVIEW_SUMMARY_PERMISSION = "investigations.review_customer_summary"
MANAGE_PERMISSION = "investigations.manage_investigation"

STEP_APPROVER: dict[int, str] = dict.fromkeys(STEPS, APPROVE_PERMISSION)


def step_blockers(step: int, statuses: dict[int, str]) -> list[int]:
    """Earlier steps not yet approved: a step cannot be submitted past them (no skipped gates)."""
    return [s for s in STEPS if s < step and statuses.get(s) != StepStatus.APPROVED]


def current_step(statuses: dict[int, str]) -> int:
    """Where the case stands: the first step not yet approved (D8 when all are)."""
    for s in STEPS:
        if statuses.get(s) != StepStatus.APPROVED:
            return s
    return LAST_STEP
