"""Who is told about what by default. Each ``recipients_*`` function returns ``{user: reason code}``
(the first reason found for a user wins); each ``notify_*`` helper builds the message data and calls
:func:`closeloop.notifications.services.notification_send`, so it must run inside the transaction of
the change it reports (see that function's contract). The admin's notification rules
(:mod:`closeloop.notifications.routing`) add people to these built-in recipients.

Roles are read from the groups named by the role codes in :mod:`closeloop.accounts.roles`; only active
users are told.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from closeloop.accounts import roles
from closeloop.accounts.models import User
from closeloop.complaints.models import Complaint
from closeloop.notifications.models import Notification
from closeloop.notifications.services import notification_send

if TYPE_CHECKING:
    from closeloop.actions.models import Action


def users_with_role(code: str) -> QuerySet[User]:
    """Active users holding the role ``code`` (a group name), by id."""
    return User.objects.filter(groups__name=code, is_active=True).order_by("pk")


def recipients_action_done(action: Action) -> dict[User, str]:
    """The people who asked for a done action: its tracker (who verifies it), whoever requested it,
    whoever recorded the complaint, the customer's salesperson and the salesperson's sales manager(s).

    The sales managers are those in the salesperson's department, or every sales manager when the
    salesperson has no department or it has none. A customer without a salesperson has no sales manager
    to tell either.
    """
    complaint = action.complaint
    out: dict[User, str] = {}
    if getattr(action, "tracker", None) is not None:
        out.setdefault(action.tracker, "tracker")  # type: ignore[arg-type]
    out.setdefault(action.requested_by, "requester")
    if complaint.created_by is not None:
        out.setdefault(complaint.created_by, "recorder")
    sales_owner = complaint.customer.sales_owner
    if sales_owner is not None:
        out.setdefault(sales_owner, "sales_owner")
        managers: list[User] = []
        if sales_owner.department_id is not None:
            managers = list(
                users_with_role(roles.SALES_MANAGER).filter(department_id=sales_owner.department_id)
            )
        if not managers:
            managers = list(users_with_role(roles.SALES_MANAGER))
        for m in managers:
            out.setdefault(m, "sales_manager_of_owner")
    return out


def _complaint_data(complaint: Complaint) -> dict[str, Any]:
    return {"number": complaint.number, "title": complaint.title}


def notify_complaint_accepted(*, complaint: Complaint, actor: User | None) -> list[Notification]:
    """Announce that a complaint was accepted at triage. It has no built-in recipients: the notification
    rules decide (the default one tells the sales, quality and purchasing managers and the general
    manager about a quality complaint)."""
    return notification_send(
        verb="complaint_accepted",
        recipients={},
        actor=actor,
        complaint=complaint,
        data={**_complaint_data(complaint), "customer": complaint.customer.name},
    )


def notify_complaint_received(*, complaint: Complaint, actor: User | None) -> list[Notification]:
    """Announce a new complaint. No built-in recipients (the rules decide, e.g. the quality manager for
    serious ones), except its owner when an assignment rule already gave it one."""
    recipients: dict[User, str] = {}
    if complaint.owner is not None:
        recipients[complaint.owner] = "owner"
    return notification_send(
        verb="complaint_received",
        recipients=recipients,
        actor=actor,
        complaint=complaint,
        data={**_complaint_data(complaint), "customer": complaint.customer.name},
    )


def notify_complaint_rejected(*, complaint: Complaint, actor: User | None) -> list[Notification]:
    """Tell whoever recorded the complaint and the customer's salesperson that it was rejected as invalid
    (they answer the customer), with the reason."""
    recipients: dict[User, str] = {}
    if complaint.created_by is not None:
        recipients[complaint.created_by] = "recorder"
    if complaint.customer.sales_owner is not None:
        recipients.setdefault(complaint.customer.sales_owner, "sales_owner")
    return notification_send(
        verb="complaint_rejected",
        recipients=recipients,
        actor=actor,
        complaint=complaint,
        data={**_complaint_data(complaint), "reason": complaint.invalid_reason},
    )


def notify_complaint_assigned(*, complaint: Complaint, actor: User | None) -> list[Notification]:
    """Tell the complaint's (new) owner it is theirs; nobody when it has no owner."""
    if complaint.owner is None:
        return []
    return notification_send(
        verb="complaint_assigned",
        recipients={complaint.owner: "owner"},
        actor=actor,
        complaint=complaint,
        data=_complaint_data(complaint),
    )


def _action_data(action: Action) -> dict[str, Any]:
    return {"number": action.complaint.number, "title": action.title}


def _action_send(
    *, verb: str, action: Action, recipients: dict[User, str], actor: User | None, data: dict[str, Any]
) -> list[Notification]:
    return notification_send(
        verb=verb,
        recipients=recipients,
        actor=actor,
        complaint=action.complaint,
        investigation_id=getattr(action, "investigation_id", None),
        data={**_action_data(action), **data},
    )


def notify_action_assigned(*, action: Action, actor: User | None) -> list[Notification]:
    """Tell the action's owner it is theirs to do, and by when."""
    return _action_send(
        verb="action_assigned",
        action=action,
        recipients={action.owner: "owner"},
        actor=actor,
        data={"due_date": action.due_date.isoformat() if action.due_date else ""},
    )


def notify_action_done(*, action: Action, actor: User | None) -> list[Notification]:
    """Tell the people who asked for the action (see :func:`recipients_action_done`) what was done."""
    return _action_send(
        verb="action_done",
        action=action,
        recipients=recipients_action_done(action),
        actor=actor,
        data={"note": action.done_note, "owner": str(action.owner)},
    )


def notify_action_verified(*, action: Action, actor: User | None) -> list[Notification]:
    """Tell the action's owner its effect was verified."""
    return _action_send(
        verb="action_verified", action=action, recipients={action.owner: "owner"}, actor=actor, data={}
    )


def notify_action_overdue(*, action: Action) -> list[Notification]:
    """Tell an overdue action's owner, whoever asked for it and its tracker (no actor: the clock did it)."""
    recipients: dict[User, str] = {action.owner: "owner"}
    recipients.setdefault(action.requested_by, "requester")
    if action.tracker is not None:
        recipients.setdefault(action.tracker, "tracker")
    return _action_send(
        verb="action_overdue",
        action=action,
        recipients=recipients,
        actor=None,
        data={"due_date": action.due_date.isoformat()},
    )


def notify_action_rejected(*, action: Action, actor: User | None, note: str) -> list[Notification]:
    """Tell the action's owner it was sent back, and why."""
    return _action_send(
        verb="action_rejected",
        action=action,
        recipients={action.owner: "owner"},
        actor=actor,
        data={"note": note},
    )


def recipients_verdict(complaint: Complaint) -> dict[User, str]:
    """Who hears the customer's answer: the complaint's owner, whoever recorded it, the customer's
    salesperson and, for an 8D complaint, the case's team."""
    out: dict[User, str] = {}
    if complaint.owner is not None:
        out.setdefault(complaint.owner, "owner")
    if complaint.created_by is not None:
        out.setdefault(complaint.created_by, "recorder")
    if complaint.customer.sales_owner is not None:
        out.setdefault(complaint.customer.sales_owner, "sales_owner")
    if complaint.investigation_id is not None:
        from closeloop.investigations.models import TeamMember

        for m in TeamMember.objects.filter(investigation_id=complaint.investigation_id).select_related(
            "user"
        ):
            out.setdefault(m.user, "team_member")
    return out


def notify_verdict_recorded(
    *, complaint: Complaint, actor: User | None, satisfied: bool, score: int | None
) -> list[Notification]:
    """Tell the people behind the complaint what the customer answered (closed, or reopened)."""
    return notification_send(
        verb="verdict_recorded",
        recipients=recipients_verdict(complaint),
        actor=actor,
        complaint=complaint,
        investigation_id=complaint.investigation_id,
        data={
            **_complaint_data(complaint),
            "satisfied": satisfied,
            "score": score if score is not None else "—",
        },
    )
