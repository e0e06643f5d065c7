"""Timeline / audit rows, written in the same transaction as the change they record."""

from __future__ import annotations

from typing import Any

from django.db import models

from closeloop.complaints.models import Complaint, ComplaintEvent
from closeloop.core import clock
from closeloop.core.insert_one import object_insert

# The complaint fields whose changes the timeline records (old and new value, as a person reads them).
AUDITED_FIELDS = [
    "handling_path",
    "reopen_count",
    "channel",
    "received_at",
    "customer",
    "contact",
    "title",
    "description",
    "customer_requirement",
    "quantity_affected",
    "lot",
    "product",
    "site",
    "order",
    "shipment",
    "ship_date",
    "warranty_status",
    "category",
    "severity",
    "urgency",
    "impact_scope",
    "safety_risk",
    "priority_score",
    "department",
    "owner",
    "status",
]


def display_value(instance: models.Model, field: str) -> Any:
    """The value a person reads for ``field``: choice labels untranslated codes kept, FKs as text."""
    f = instance._meta.get_field(field)
    value = getattr(instance, field)
    if value is None:
        return None
    if isinstance(f, models.ForeignKey):
        return str(value)
    if isinstance(value, bool | int | str | float):
        return value
    return str(value)


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    return {f: display_value(instance, f) for f in fields}


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"field": f, "old": before.get(f), "new": after.get(f)}
        for f in after
        if before.get(f) != after.get(f)
    ]


def event_record(
    *,
    complaint: Complaint,
    verb: str,
    actor: Any = None,
    changes: list[dict[str, Any]] | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> ComplaintEvent:
    """Append one event. The caller holds the transaction that made the change."""
    event = ComplaintEvent(
        complaint=complaint,
        verb=verb,
        actor=actor if getattr(actor, "pk", None) else None,
        created_at=clock.now(),
        changes=changes or [],
        note=note,
        data=data or {},
    )
    object_insert(event)
    return event
