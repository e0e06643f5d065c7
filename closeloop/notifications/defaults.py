"""The default notification rule — the seed's: a quality complaint, once accepted, is told to the sales
manager, quality manager, purchasing manager and general manager. Ensured after every migrate (and
test flush) while no rule exists at all, so an administrator's own rule set is never overwritten."""

from __future__ import annotations

from typing import Any

from closeloop.accounts import roles

DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "name": "质量客诉受理 → 销售、质量、采购经理和总经理",
        "event": "complaint_accepted",
        "category": "quality",
        "roles": [
            roles.SALES_MANAGER,
            roles.QUALITY_MANAGER,
            roles.PURCHASING_MANAGER,
            roles.GENERAL_MANAGER,
        ],
    },
]


def rules_ensure_defaults() -> None:
    from django.contrib.auth.models import Group

    from closeloop.complaints.models import Category
    from closeloop.notifications.models import NotificationRule

    if NotificationRule.objects.exists():
        return
    for spec in DEFAULT_RULES:
        rule = NotificationRule.objects.create(
            name=spec["name"],
            event=spec["event"],
            category=Category.objects.filter(code=spec["category"]).first(),
        )
        rule.roles.set([Group.objects.get_or_create(name=code)[0] for code in spec["roles"]])


def defaults_after_migrate(sender: Any, **kwargs: Any) -> None:
    if getattr(sender, "label", None) == "notifications":
        rules_ensure_defaults()
