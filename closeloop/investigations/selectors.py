"""Reads of 8D cases, scoped to what the user may see: a case is visible to whoever may see one of its
complaints, and to its team."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from closeloop.accounts.models import User
from closeloop.actions.models import Action
from closeloop.actions.workflow import ActionStatus
from closeloop.complaints.models import Complaint
from closeloop.complaints.selectors import complaint_visible_qs
from closeloop.core.errors import NotFound, ValidationFailed
from closeloop.investigations.content import content_parse
from closeloop.investigations.gates import GateFacts, missing
from closeloop.investigations.models import Discipline, Investigation, InvestigationEvent, TeamMember
from closeloop.investigations.workflow import (
    APPROVE_PERMISSION,
    EDITABLE_STEP_STATUSES,
    MANAGE_PERMISSION,
    CaseStatus,
    Step,
    StepStatus,
    step_blockers,
)

UNFINISHED_ACTIONS = [ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.DONE]


def investigation_visible_qs(*, user: User) -> QuerySet[Investigation]:
    if not user.is_authenticated or not user.is_active:
        return Investigation.objects.none()
    if user.has_perm("complaints.view_all_complaints"):
        return Investigation.objects.all()
    visible = complaint_visible_qs(user=user).filter(investigation=OuterRef("pk"))
    member = TeamMember.objects.filter(investigation=OuterRef("pk"), user=user)
    return Investigation.objects.filter(Q(Exists(visible)) | Q(Exists(member)) | Q(owner=user))


def investigation_get_for_user(*, user: User, number: str) -> Investigation:
    """The case ``number`` if ``user`` may see it; NotFound otherwise (no existence leak)."""
    inv = (
        investigation_visible_qs(user=user)
        .select_related("owner", "product", "opened_by", "cost_verified_by", "summary_reviewed_by")
        .filter(number=number)
        .first()
    )
    if inv is None:
        raise NotFound()
    return inv


def investigation_list(*, user: User, status: str = "", limit: int = 200) -> QuerySet[Investigation]:
    qs = investigation_visible_qs(user=user)
    if status in CaseStatus.values:
        qs = qs.filter(status=status)
    return (
        qs.select_related("owner", "product")
        .annotate(complaint_count=Count("complaints", distinct=True))
        .order_by("-opened_at", "-id")[:limit]
    )


def investigation_open_choices(*, user: User, limit: int = 50) -> QuerySet[Investigation]:
    """The open 8Ds ``user`` may see, newest first, with only what a choice of them shows (number,
    title, step): the complaint page offers them to join. Without investigation_list's complaint
    count, which groups over the complaints table."""
    return (
        investigation_visible_qs(user=user)
        .filter(status=CaseStatus.OPEN)
        .only("number", "title", "status", "current_step")
        .order_by("-opened_at", "-id")[:limit]
    )


def investigation_can_edit(*, user: User, investigation: Investigation) -> bool:
    """Only the owner, the 8D team and quality managers change an 8D; everyone else reads it."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.has_perm(MANAGE_PERMISSION) or investigation.owner_id == user.pk:
        return True
    return TeamMember.objects.filter(investigation_id=investigation.pk, user_id=user.pk).exists()


def investigation_complaints(*, investigation: Investigation) -> QuerySet[Complaint]:
    return Complaint.objects.filter(investigation=investigation).select_related("customer", "owner")


def investigation_team(*, investigation: Investigation) -> QuerySet[TeamMember]:
    return TeamMember.objects.filter(investigation=investigation).select_related("user", "department")


def investigation_actions(*, investigation: Investigation) -> QuerySet[Action]:
    return (
        Action.objects.filter(investigation=investigation)
        .select_related("owner", "tracker", "requested_by", "department", "complaint", "investigation")
        .order_by("step", "due_date", "id")
    )


def investigation_timeline(*, investigation: Investigation) -> QuerySet[InvestigationEvent]:
    return investigation.events.select_related("actor").order_by("created_at", "id")


def gate_facts(*, investigation: Investigation) -> GateFacts:
    """What the gates read besides step content, in three queries."""
    team = list(TeamMember.objects.filter(investigation=investigation).values_list("role", "department_id"))
    by_kind: dict[str, tuple[int, int]] = {}
    unfinished_total = 0
    rows = (
        Action.objects.filter(investigation=investigation)
        .values("kind")
        .annotate(
            total=Count("id", filter=~Q(status=ActionStatus.CANCELLED)),
            unfinished=Count("id", filter=Q(status__in=UNFINISHED_ACTIONS)),
        )
    )
    for r in rows:
        by_kind[r["kind"]] = (r["total"], r["unfinished"])
        unfinished_total += r["unfinished"]
    d8 = Discipline.objects.filter(investigation=investigation, step=Step.D8).values_list(
        "content", flat=True
    )
    from closeloop.investigations.digests import cost_digest, summary_digest

    content = d8.first() or {}
    return GateFacts(
        team_roles=tuple(r for r, _d in team),
        team_departments=len({d for _r, d in team if d is not None}),
        actions=by_kind,
        unfinished_actions=unfinished_total,
        cost_verified=bool(investigation.cost_verified_at)
        and investigation.cost_verified_digest == cost_digest(content),
        summary_reviewed=bool(investigation.summary_reviewed_at)
        and investigation.summary_reviewed_digest == summary_digest(content),
    )


@dataclass
class StepState:
    """One tab of the D0–D8 navigator."""

    step: int
    label: str
    status: str
    status_label: str
    missing: list[str]
    blocked_by: list[int]
    discipline: Discipline
    is_current: bool

    @property
    def state(self) -> str:
        """done | current | blocked | returned | submitted | todo (for the navigator's colours)."""
        if self.status == StepStatus.APPROVED:
            return "done"
        if self.status == StepStatus.SUBMITTED:
            return "submitted"
        if self.status == StepStatus.RETURNED:
            return "returned"
        if self.is_current:
            return "current"
        return "blocked" if self.blocked_by else "todo"


def investigation_navigator(
    *, investigation: Investigation, facts: GateFacts | None = None
) -> list[StepState]:
    """Where the case stands and what each step still lacks (``facts`` from :func:`gate_facts` when the
    caller already read them)."""
    disciplines = {
        d.step: d
        for d in Discipline.objects.filter(investigation=investigation).select_related(
            "submitted_by", "approved_by"
        )
    }
    statuses = {s: d.status for s, d in disciplines.items()}
    facts = facts or gate_facts(investigation=investigation)
    out: list[StepState] = []
    for s in Step:
        d = disciplines[s.value]
        try:
            lacking = missing(s.value, content_parse(s.value, d.content), facts)
        except ValidationFailed:
            lacking = []
        out.append(
            StepState(
                step=s.value,
                label=str(s.label),
                status=d.status,
                status_label=str(StepStatus(d.status).label),
                missing=lacking if d.status in EDITABLE_STEP_STATUSES else [],
                blocked_by=step_blockers(s.value, statuses),
                discipline=d,
                is_current=investigation.status == CaseStatus.OPEN and s.value == investigation.current_step,
            )
        )
    return out


def investigation_can_approve(*, user: User) -> bool:
    return user.has_perm(APPROVE_PERMISSION)


def step_summary(*, investigation: Investigation) -> dict[str, Any]:
    """A compact progress figure for complaint pages: current step and how many steps are approved."""
    approved = Discipline.objects.filter(investigation=investigation, status=StepStatus.APPROVED).count()
    return {"current_step": investigation.current_step, "approved": approved, "status": investigation.status}
