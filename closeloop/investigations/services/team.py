"""The D1 team: one leader, one champion, members with department and responsibility; changed only
while D1 is editable."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import Department, User
from closeloop.core.errors import NotFound, ValidationFailed
from closeloop.investigations import events
from closeloop.investigations.models import Investigation, TeamMember
from closeloop.investigations.services._base import (
    _bump,
    _lock_case,
    _lock_step,
    _require_edit,
    _require_open,
)
from closeloop.investigations.workflow import (
    EDITABLE_STEP_STATUSES,
    Step,
    StepStatus,
    TeamRole,
    check_step_transition,
)


@transaction.atomic
def team_member_set(
    *,
    investigation: Investigation,
    actor: User,
    user: User | None,
    role: str,
    department: Department | None = None,
    responsibility: str = "",
) -> TeamMember:
    """Add a person to the D1 team or change their role. One leader and one champion: naming a new one
    makes the previous one a member. The team changes only while D1 is editable."""
    inv = _lock_case(investigation)
    d1 = _lock_step(inv, Step.D1)
    _require_edit(actor, inv)
    _require_open(inv)
    errors: dict[str, list[Any]] = {}
    if user is None or not user.is_active:
        errors["user"] = [_("Choose an active person.")]
    if role not in TeamRole.values:
        errors["role"] = [_("Choose the person's role in the team.")]
    if len((responsibility or "").strip()) > 200:
        errors["responsibility"] = [_("This text is too long.")]
    if errors:
        raise ValidationFailed(fields=errors)
    assert user is not None
    check_step_transition(
        d1.status, StepStatus.RETURNED if d1.status == StepStatus.RETURNED else StepStatus.DRAFT
    )
    if role in (TeamRole.LEADER, TeamRole.CHAMPION):
        TeamMember.objects.filter(investigation=inv, role=role).exclude(user=user).update(
            role=TeamRole.MEMBER
        )
    member, _created = TeamMember.objects.update_or_create(
        investigation=inv,
        user=user,
        defaults={
            "role": role,
            "department": department or user.department,
            "responsibility": (responsibility or "").strip(),
        },
    )
    if role == TeamRole.LEADER:
        inv.owner = user
    if d1.status == StepStatus.TODO:
        d1.status = StepStatus.DRAFT
    d1.version += 1
    d1.save()
    _bump(inv)
    events.event_record(
        investigation=inv,
        verb="team_member_set",
        actor=actor,
        step=Step.D1,
        data={"user": str(user), "role": role},
    )
    return member


@transaction.atomic
def team_member_remove(*, investigation: Investigation, actor: User, user: User) -> None:
    """Take a person off the team (not the leader: name another leader first)."""
    inv = _lock_case(investigation)
    d1 = _lock_step(inv, Step.D1)
    _require_edit(actor, inv)
    _require_open(inv)
    if d1.status not in EDITABLE_STEP_STATUSES:
        check_step_transition(d1.status, StepStatus.DRAFT)
    member = TeamMember.objects.filter(investigation=inv, user=user).first()
    if member is None:
        raise NotFound()
    if member.role == TeamRole.LEADER:
        raise ValidationFailed(fields={"user": [_("Name another leader before removing this one.")]})
    member.delete()
    d1.version += 1
    d1.save()
    _bump(inv)
    events.event_record(
        investigation=inv, verb="team_member_removed", actor=actor, step=Step.D1, data={"user": str(user)}
    )
