"""Notifications for many complaints at once (the bulk import): for each complaint exactly the rows
:func:`closeloop.notifications.services.notification_send` writes for it — the same recipients, reasons,
rules, data and outbox deliveries — with the rules, role and department members and preferences read
once per call instead of once per complaint, every row inserted in one statement per table and one
dispatch of the outbox after commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from closeloop.accounts.models import Department, User
from closeloop.complaints.models import Complaint
from closeloop.core import clock
from closeloop.core.bulk_insert import instances_make, objects_insert
from closeloop.notifications.messages import REASON_LABELS, VERB_MESSAGES
from closeloop.notifications.models import (
    Delivery,
    Notification,
    NotificationPreference,
    NotificationRule,
    WebhookEndpoint,
)
from closeloop.notifications.outbox import deliveries_build, deliveries_kick
from closeloop.notifications.routing import _department_manager, _role_reason, _team, rule_matches


@dataclass
class ComplaintNotice:
    """One complaint's notification: its built-in recipients (``{user: reason}``) and message data."""

    complaint: Complaint
    recipients: Mapping[User, str]
    data: dict[str, Any]


@dataclass
class _Members:
    """Active members of roles and departments, read once per group or department."""

    by_group: dict[int, list[User]] = field(default_factory=dict)
    by_department: dict[int, list[User]] = field(default_factory=dict)

    def of_group(self, group_id: int) -> list[User]:
        if group_id not in self.by_group:
            self.by_group[group_id] = list(
                User.objects.filter(groups=group_id, is_active=True).order_by("pk")
            )
        return self.by_group[group_id]

    def of_department(self, department_id: int) -> list[User]:
        if department_id not in self.by_department:
            self.by_department[department_id] = list(
                User.objects.filter(department=department_id, is_active=True).order_by("pk")
            )
        return self.by_department[department_id]


def _managers_load(complaints: Iterable[Complaint]) -> None:
    """Load the manager of every department the routing may read (the complaint's, else its owner's)
    in one query, into the departments' relation caches, so ``_department_manager`` reads none."""
    departments: list[Department] = []
    for c in complaints:
        department = c.department
        if department is None and c.owner is not None:
            department = c.owner.department
        if department is not None and department.manager_id is not None:
            departments.append(department)
    manager_field = Department._meta.get_field("manager")
    pending = [d for d in departments if not manager_field.is_cached(d)]
    managers = User.objects.in_bulk({d.manager_id for d in pending})
    for d in pending:
        manager_field.set_cached_value(d, managers.get(d.manager_id))


def _rule_people(
    rule: NotificationRule, complaint: Complaint, members: _Members
) -> Iterable[tuple[User | None, str]]:
    """``routing._rule_people`` for a complaint without an 8D case, reading members from ``members``."""
    for group in rule.roles.all():
        for user in members.of_group(group.pk):
            yield user, _role_reason(group.name)
    for department in rule.departments.all():
        for user in members.of_department(department.pk):
            yield user, "rule_department"
    for user in rule.users.all():
        yield user, "rule_named"
    if rule.to_owner:
        yield complaint.owner, "owner"
    if rule.to_department_manager:
        yield _department_manager(complaint), "department_manager"
    if rule.to_recorder:
        yield complaint.created_by, "recorder"
    if rule.to_sales_owner:
        yield complaint.customer.sales_owner, "sales_owner"
    if rule.to_team:
        yield from ((user, "team_member") for user in _team(complaint.investigation_id))


Chosen = dict[int, tuple[User, str, NotificationRule | None]]  # by user id: (user, reason, rule)


def complaint_notices_routed(
    *, verb: str, notices: Sequence[ComplaintNotice], actor: User | None
) -> Iterator[tuple[ComplaintNotice, Chosen, list[WebhookEndpoint]]]:
    """For each notice, in order: the people ``notification_send`` would tell (its built-in recipients
    first, then those the active rules of ``verb`` add; the first reason found for a person wins;
    inactive people and the actor left out) and the active robots of the matching rules. The rules and
    the members of their roles and departments are read once for all the notices.

    The complaints need not be saved (nothing read depends on their id or number: an import routes a
    batch before writing it), but their customer (and its salesperson), owner, department and creator
    must be loaded. Reads only. Raises ValueError for an unregistered reason."""
    rules = list(
        NotificationRule.objects.filter(event=verb, is_active=True)
        .order_by("pk")
        .prefetch_related("roles", "departments", "users", "webhooks")
    )
    members = _Members()
    if any(r.to_department_manager for r in rules):
        _managers_load(n.complaint for n in notices)
    for notice in notices:
        complaint = notice.complaint
        people: dict[User, tuple[str, NotificationRule]] = {}
        webhooks: dict[int, WebhookEndpoint] = {}
        for matching in rules:
            if not rule_matches(matching, complaint):
                continue
            for user, reason in _rule_people(matching, complaint, members):
                if user is not None:
                    people.setdefault(user, (reason, matching))
            for endpoint in matching.webhooks.all():
                if endpoint.is_active:
                    webhooks.setdefault(endpoint.pk, endpoint)
        candidates: list[tuple[User, str, NotificationRule | None]] = [
            (user, reason, None) for user, reason in notice.recipients.items()
        ]
        candidates += [(user, reason, rule) for user, (reason, rule) in people.items()]
        chosen: Chosen = {}
        for user, reason, rule in candidates:
            if reason not in REASON_LABELS:
                raise ValueError(f"Unregistered notification reason: {reason!r}")
            if user is None or user.pk is None or not user.is_active:
                continue
            if actor is not None and user.pk == actor.pk:
                continue
            chosen.setdefault(user.pk, (user, reason, rule))
        yield notice, chosen, list(webhooks.values())


def complaint_notifications_send(
    *, verb: str, notices: Sequence[ComplaintNotice], actor: User | None
) -> list[Notification]:
    """Write, for every notice, what ``notification_send(verb=verb, recipients=notice.recipients,
    actor=actor, complaint=notice.complaint, data=notice.data)`` would, in notice order; return the rows.

    The complaints must be saved, with their customer (and its salesperson), owner, department and
    creator loaded. Contract as ``notification_send``'s: call it inside the transaction of the change,
    after its checks; it takes no lock. The deliveries' dispatch is queued once, after commit. Raises
    ValueError for an unregistered verb or reason.
    """
    if verb not in VERB_MESSAGES:
        raise ValueError(f"Unregistered notification verb: {verb!r}")
    if not notices:
        return []
    now = clock.now()
    actor_saved = actor if actor is not None and actor.pk is not None else None
    rows: list[Notification] = []
    # Per notice: its slice of ``rows`` and the robots it posts to (only when someone is told).
    spans: list[tuple[int, int, list[WebhookEndpoint]]] = []
    for notice, chosen, webhooks in complaint_notices_routed(verb=verb, notices=notices, actor=actor):
        complaint = notice.complaint
        start = len(rows)
        rows += instances_make(
            Notification,
            (
                {
                    "recipient": user,
                    "verb": verb,
                    "reason": reason,
                    "complaint": complaint,
                    "investigation_id": None,
                    "actor": actor_saved,
                    "data": dict(notice.data),
                    "rule": rule,
                    "created_at": now,
                }
                for user, reason, rule in chosen.values()
            ),
        )
        spans.append((start, len(rows), webhooks if chosen else []))
    if not rows:
        return []
    objects_insert(rows)
    prefs = {
        p.user_id: p
        for p in NotificationPreference.objects.filter(user_id__in={n.recipient_id for n in rows})
    }
    deliveries: list[Delivery] = []
    for start, end, endpoints in spans:
        if start == end:
            continue
        deliveries += deliveries_build(rows[start:end], endpoints, prefs, now)
    if deliveries:
        objects_insert(deliveries)
        transaction.on_commit(deliveries_kick)
    return rows
