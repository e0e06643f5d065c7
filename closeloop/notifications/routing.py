"""Admin-editable notification rules: which people an event reaches beyond its built-in recipients.

Reads only. :func:`rule_recipients` is called by ``notification_send`` inside the change's transaction.
The rules' conditions are cached per process (``closeloop.core.config_cache``), checked against the
database at each use.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models.signals import post_delete, post_save

from closeloop.accounts.models import User
from closeloop.complaints.models import Complaint
from closeloop.core.config_cache import ConfigCache, config_changed_receiver
from closeloop.notifications.messages import REASON_LABELS
from closeloop.notifications.models import NotificationRule, WebhookEndpoint


@dataclass
class Routed:
    """People a set of rules adds (``{user: (reason, rule)}``, first rule wins) and the robots to post to."""

    people: dict[User, tuple[str, NotificationRule]] = field(default_factory=dict)
    webhooks: dict[int, WebhookEndpoint] = field(default_factory=dict)


def _category_ids(complaint: Complaint) -> set[int]:
    return set(complaint.category.lineage_ids()) if complaint.category is not None else set()


def rule_matches(rule: NotificationRule, complaint: Complaint | None) -> bool:
    """True when every condition the rule sets holds for ``complaint``. A rule with conditions never
    matches an event without a complaint."""
    has_conditions = bool(rule.category_id or rule.severity or rule.customer_tier or rule.product_family)
    if complaint is None:
        return not has_conditions
    if rule.category_id is not None and rule.category_id not in _category_ids(complaint):
        return False
    if rule.severity and rule.severity != complaint.severity:
        return False
    if rule.customer_tier and rule.customer_tier != complaint.customer.tier:
        return False
    if rule.product_family:
        product = complaint.product
        if product is None or product.family != rule.product_family:
            return False
    return True


def _role_reason(code: str) -> str:
    reason = f"role_{code}"
    return reason if reason in REASON_LABELS else "rule_role"


def _department_manager(complaint: Complaint) -> User | None:
    department = complaint.department
    if department is None and complaint.owner is not None:
        department = complaint.owner.department
    return department.manager if department is not None else None


def _team(investigation_id: int | None) -> list[User]:
    if investigation_id is None:
        return []
    from closeloop.investigations.models import Investigation, TeamMember

    inv = Investigation.objects.select_related("owner").filter(pk=investigation_id).first()
    people = [inv.owner] if inv is not None else []
    people += [
        m.user for m in TeamMember.objects.filter(investigation_id=investigation_id).select_related("user")
    ]
    return people


def _rule_people(
    rule: NotificationRule, complaint: Complaint | None, investigation_id: int | None
) -> Iterable[tuple[User | None, str]]:
    for group in rule.roles.all():
        for user in User.objects.filter(groups=group, is_active=True).order_by("pk"):
            yield user, _role_reason(group.name)
    for department in rule.departments.all():
        for user in User.objects.filter(department=department, is_active=True).order_by("pk"):
            yield user, "rule_department"
    for user in rule.users.all():
        yield user, "rule_named"
    if complaint is not None:
        if rule.to_owner:
            yield complaint.owner, "owner"
        if rule.to_department_manager:
            yield _department_manager(complaint), "department_manager"
        if rule.to_recorder:
            yield complaint.created_by, "recorder"
        if rule.to_sales_owner:
            yield complaint.customer.sales_owner, "sales_owner"
    if rule.to_team:
        inv_id = investigation_id
        if inv_id is None and complaint is not None:
            inv_id = complaint.investigation_id
        for user in _team(inv_id):
            yield user, "team_member"


def _rules_load() -> dict[str, tuple[NotificationRule, ...]]:
    # Conditions only, by event: the people and robots of a rule that applies are read fresh (users,
    # roles and endpoints are not configuration and change no token).
    by_event: dict[str, list[NotificationRule]] = {}
    for rule in NotificationRule.objects.filter(is_active=True).order_by("pk"):
        by_event.setdefault(rule.event, []).append(rule)
    return {event: tuple(rules) for event, rules in by_event.items()}


_RULES: ConfigCache[dict[str, tuple[NotificationRule, ...]]] = ConfigCache(
    NotificationRule.config_scope, _rules_load
)


def _rules_applying(verb: str, complaint: Complaint | None) -> list[NotificationRule]:
    """The active rules for ``verb`` that hold for ``complaint``, by id, with their roles, departments,
    users and webhooks: chosen from the cached rules (no query when none holds), then read again."""
    ids = [rule.pk for rule in _RULES.get().get(verb, ()) if rule_matches(rule, complaint)]
    if not ids:
        return []
    rules = (
        NotificationRule.objects.filter(pk__in=ids, event=verb, is_active=True)
        .order_by("pk")
        .prefetch_related("roles", "departments", "users", "webhooks")
    )
    # A rule changed since the token was read is checked again as it is now.
    return [rule for rule in rules if rule_matches(rule, complaint)]


def rule_recipients(*, verb: str, complaint: Complaint | None, investigation_id: int | None) -> Routed:
    """The people and robots that the active rules for ``verb`` add for this complaint. No query about
    the rules when none holds (besides the token check, none inside ``config_pinned``)."""
    routed = Routed()
    for rule in _rules_applying(verb, complaint):
        for user, reason in _rule_people(rule, complaint, investigation_id):
            if user is not None:
                routed.people.setdefault(user, (reason, rule))
        for endpoint in rule.webhooks.all():
            if endpoint.is_active:
                routed.webhooks.setdefault(endpoint.pk, endpoint)
    return routed


def config_receivers_connect() -> None:
    """Change the rules' token on every save and delete of a rule (called once, by the app). Its
    recipients (the many-to-many tables) are read fresh and need none."""
    receiver = config_changed_receiver(NotificationRule.config_scope)
    uid = f"closeloop_config_{NotificationRule.config_scope}"
    post_save.connect(receiver, sender=NotificationRule, weak=False, dispatch_uid=f"{uid}_save")
    post_delete.connect(receiver, sender=NotificationRule, weak=False, dispatch_uid=f"{uid}_delete")
