"""Roles are Django groups with a fixed set of permissions, kept in sync after every migrate.

The group name is the role code; labels are translated for display.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

AGENT = "agent"
SALESPERSON = "salesperson"
SALES_MANAGER = "sales_manager"
QUALITY_ENGINEER = "quality_engineer"
QUALITY_MANAGER = "quality_manager"
PURCHASING_MANAGER = "purchasing_manager"
FINANCE = "finance"
GENERAL_MANAGER = "general_manager"
ADMINISTRATOR = "administrator"

ROLE_LABELS: dict[str, Any] = {
    AGENT: _("Customer-service agent"),
    SALESPERSON: _("Salesperson"),
    SALES_MANAGER: _("Sales manager"),
    QUALITY_ENGINEER: _("Quality engineer"),
    QUALITY_MANAGER: _("Quality manager"),
    PURCHASING_MANAGER: _("Purchasing manager"),
    FINANCE: _("Finance"),
    GENERAL_MANAGER: _("General manager"),
    ADMINISTRATOR: _("Administrator"),
}

_VIEW_MASTER = [
    "customers.view_customer",
    "customers.view_contact",
    "customers.view_product",
    "customers.view_salesorder",
    "customers.view_shipment",
]
_READ_ALL = ["complaints.view_complaint", "complaints.view_all_complaints", *_VIEW_MASTER]
_INTAKE = ["complaints.add_complaint", "complaints.import_complaints", "complaints.add_attachment"]
_TRIAGE = [
    "complaints.triage_complaint",
    "complaints.assign_complaint",
    "complaints.change_complaint",
]
_PII = ["customers.view_contact_pii"]
# The GM cockpit (/dashboard/): reading the KPI targets is what opening the cockpit means.
_COCKPIT = ["dashboards.view_kpitarget"]
_MASTER_EDIT = [
    "customers.add_customer",
    "customers.change_customer",
    "customers.add_contact",
    "customers.change_contact",
    "customers.add_product",
    "customers.change_product",
    "customers.add_salesorder",
    "customers.change_salesorder",
    "customers.add_shipment",
    "customers.change_shipment",
    "customers.import_masterdata",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    AGENT: [*_READ_ALL, *_INTAKE, *_PII],
    # A salesperson sees only the complaints of the customers they own (no view_all_complaints).
    SALESPERSON: ["complaints.view_complaint", *_VIEW_MASTER, *_INTAKE, *_PII, *_COCKPIT],
    SALES_MANAGER: [
        *_READ_ALL,
        *_INTAKE,
        *_PII,
        *_COCKPIT,
        "investigations.review_customer_summary",
        "reports.approve_handling_report",
    ],
    QUALITY_ENGINEER: [*_READ_ALL, *_INTAKE, "complaints.triage_complaint", "complaints.change_complaint"],
    QUALITY_MANAGER: [
        *_READ_ALL,
        *_INTAKE,
        *_TRIAGE,
        *_COCKPIT,
        "complaints.change_assignmentrule",
        "complaints.change_category",
        "complaints.change_priorityweights",
        "investigations.manage_investigation",
        "investigations.approve_step",
    ],
    PURCHASING_MANAGER: [*_READ_ALL],
    FINANCE: [*_READ_ALL, "investigations.verify_cost"],
    GENERAL_MANAGER: [*_READ_ALL, *_PII, *_COCKPIT],
    ADMINISTRATOR: [
        *_READ_ALL,
        *_INTAKE,
        *_TRIAGE,
        *_PII,
        *_MASTER_EDIT,
        *_COCKPIT,
        "complaints.change_assignmentrule",
        "complaints.add_assignmentrule",
        "complaints.change_category",
        "complaints.add_category",
        "complaints.change_priorityweights",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_user",
        "accounts.add_department",
        "accounts.change_department",
    ],
}


def roles_sync() -> None:
    """Create or update one group per role with exactly its permissions. Idempotent."""
    from django.contrib.auth.models import Group, Permission

    wanted = {p for perms in ROLE_PERMISSIONS.values() for p in perms}
    found = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type").filter(
            codename__in={w.split(".", 1)[1] for w in wanted}
        )
    }
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.set([found[p] for p in perms if p in found])


def roles_sync_after_migrate(sender: Any, **kwargs: Any) -> None:
    """Sync once per migrate, after the last app's permissions exist (post_migrate runs per app)."""
    from django.apps import apps

    last = [a for a in apps.get_app_configs() if a.models_module is not None][-1]
    if getattr(sender, "label", None) == last.label:
        roles_sync()


def role_label(code: str) -> str:
    return str(ROLE_LABELS.get(code, code))
