"""Reads of actions, scoped by the complaints the user may see."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from closeloop.accounts.models import User
from closeloop.actions.models import Action, ActionComment, ActionEvidence
from closeloop.actions.workflow import OPEN_ACTION_STATUSES, ActionStatus
from closeloop.complaints.models import ComplaintEvent
from closeloop.complaints.selectors import complaint_visible_qs


def action_mine_list(*, user: User) -> QuerySet[Action]:
    """The user's unfinished actions, soonest due first (overdue ones lead)."""
    return (
        Action.objects.filter(owner=user, status__in=list(OPEN_ACTION_STATUSES))
        .select_related("complaint", "requested_by", "department")
        .order_by("due_date", "id")
    )


def action_to_verify_list(*, user: User) -> QuerySet[Action]:
    """Done actions waiting for this user to verify them (they track them or asked for them)."""
    return (
        Action.objects.filter(Q(requested_by=user) | Q(tracker=user), status="done")
        .exclude(owner=user)
        .select_related("complaint", "owner")
        .order_by("done_at", "id")
    )


def action_for_complaint_list(*, complaint_id: int) -> QuerySet[Action]:
    return (
        Action.objects.filter(complaint_id=complaint_id)
        .select_related("owner", "requested_by", "department", "tracker", "investigation")
        .order_by("due_date", "id")
    )


def action_get_for_user(*, user: User, action_id: int) -> Action | None:
    return (
        Action.objects.filter(pk=action_id, complaint__in=complaint_visible_qs(user=user))
        .select_related("complaint", "owner", "requested_by", "tracker", "department", "investigation")
        .first()
    )


def action_list(
    *, user: User, department: str = "", status: str = "", overdue_on: dt.date | None = None, limit: int = 200
) -> QuerySet[Action]:
    """Actions on complaints the user may see, by department and status; ``overdue_on`` keeps the
    unfinished ones due before that day."""
    qs = Action.objects.filter(complaint__in=complaint_visible_qs(user=user))
    if department:
        qs = qs.filter(department__code=department)
    if status in ActionStatus.values:
        qs = qs.filter(status=status)
    if overdue_on is not None:
        qs = qs.filter(status__in=[ActionStatus.OPEN, ActionStatus.IN_PROGRESS], due_date__lt=overdue_on)
    return qs.select_related("complaint", "owner", "department", "requested_by").order_by("due_date", "id")[
        :limit
    ]


def action_evidence_list(*, action: Action) -> list[ActionEvidence]:
    return list(action.evidence.select_related("attachment", "attachment__uploaded_by"))


def action_comment_list(*, action: Action) -> list[ActionComment]:
    return list(action.comments.select_related("author"))


def action_history(*, action: Action) -> QuerySet[ComplaintEvent]:
    """The action's own rows of its complaint's timeline."""
    return (
        ComplaintEvent.objects.filter(complaint_id=action.complaint_id, verb__startswith="action_")
        .filter(data__action=action.pk)
        .select_related("actor")
        .order_by("created_at", "id")
    )
