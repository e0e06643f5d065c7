"""Who is told about 8D milestones. Rows go to the notification outbox in the caller's transaction,
so a rolled-back change tells nobody and a committed one is never lost."""

from __future__ import annotations

from typing import Any

from closeloop.accounts.models import User
from closeloop.investigations.models import Investigation, TeamMember
from closeloop.investigations.workflow import (
    APPROVE_PERMISSION,
    REVIEW_SUMMARY_PERMISSION,
    VERIFY_COST_PERMISSION,
    Step,
)


def _send(*, verb: str, recipients: dict[User, str], inv: Investigation, actor: User, **data: Any) -> None:
    from closeloop.notifications.services import notification_send

    first = inv.complaints.order_by("pk").first()
    notification_send(
        verb=verb,
        recipients=recipients,
        actor=actor,
        complaint=first,
        investigation_id=inv.pk,
        data={"case": inv.number, "title": inv.title, **data},
    )


def _team(inv: Investigation) -> dict[User, str]:
    out: dict[User, str] = {inv.owner: "owner"}
    for m in TeamMember.objects.filter(investigation=inv).select_related("user"):
        out.setdefault(m.user, "team_member")
    return out


def users_with_permission(codename: str) -> list[User]:
    app, code = codename.split(".", 1)
    return list(
        User.objects.filter(
            is_active=True,
            groups__permissions__codename=code,
            groups__permissions__content_type__app_label=app,
        ).distinct()
    )


def step_submitted(*, investigation: Investigation, step: int, actor: User) -> None:
    recipients = dict.fromkeys(users_with_permission(APPROVE_PERMISSION), "approver")
    _send(verb="step_submitted", recipients=recipients, inv=investigation, actor=actor, step=f"D{step}")


def step_approved(*, investigation: Investigation, step: int, actor: User) -> None:
    _send(
        verb="step_approved", recipients=_team(investigation), inv=investigation, actor=actor, step=f"D{step}"
    )


def step_returned(*, investigation: Investigation, step: int, actor: User, reason: str) -> None:
    _send(
        verb="step_returned",
        recipients=_team(investigation),
        inv=investigation,
        actor=actor,
        step=f"D{step}",
        note=reason,
    )


def investigation_closed(*, investigation: Investigation, actor: User) -> None:
    recipients = _team(investigation)
    for c in investigation.complaints.select_related("owner", "customer__sales_owner"):
        if c.owner is not None:
            recipients.setdefault(c.owner, "owner")
        if c.customer.sales_owner is not None:
            recipients.setdefault(c.customer.sales_owner, "sales_owner")
    _send(
        verb="investigation_closed", recipients=recipients, inv=investigation, actor=actor, step=f"D{Step.D8}"
    )


def investigation_reopened(*, investigation: Investigation, step: int, actor: User, reason: str) -> None:
    _send(
        verb="investigation_reopened",
        recipients=_team(investigation),
        inv=investigation,
        actor=actor,
        step=f"D{step}",
        note=reason,
    )


def signoff_requested(
    *, investigation: Investigation, actor: User, cost: bool, summary: bool
) -> dict[str, int]:
    """Ask finance for the cost verification and the sales managers for the summary review; returns how
    many people were asked for each."""
    out = {"cost": 0, "summary": 0}
    if cost:
        people = dict.fromkeys(users_with_permission(VERIFY_COST_PERMISSION), "role_finance")
        _send(verb="cost_verification", recipients=people, inv=investigation, actor=actor)
        out["cost"] = len(people)
    if summary:
        people = dict.fromkeys(users_with_permission(REVIEW_SUMMARY_PERMISSION), "role_sales_manager")
        _send(verb="customer_summary_review", recipients=people, inv=investigation, actor=actor)
        out["summary"] = len(people)
    return out
