"""A complaint as the API gives it (``ComplaintOut``): shared by every endpoint that answers with one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from closeloop.accounts.models import User
from closeloop.complaints import presentation
from closeloop.complaints.models import Complaint
from closeloop.core import clock
from closeloop.customers.pii import email_for, phone_for
from closeloop.sla.selectors import deadline_rows


def _person(u: User | None) -> dict[str, str] | None:
    return {"username": u.username, "name": str(u)} if u else None


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    # Instants are given in UTC, as the database returns them, also for an instance built in memory
    # from a request that sent another offset.
    return value.astimezone(dt.UTC) if value is not None else None


def complaint_out(c: Complaint, user: User) -> dict[str, Any]:
    """The API representation; contact data masked for roles without the PII permission. Instants
    are in UTC."""
    return {
        "number": c.number,
        "status": c.status,
        "channel": c.channel,
        "received_at": _utc(c.received_at),
        "customer": {"code": c.customer.code, "name": c.customer.name},
        "contact": {
            "id": c.contact.pk,
            "name": c.contact.name,
            "phone": phone_for(user, c.contact.phone),
            "email": email_for(user, c.contact.email),
        }
        if c.contact
        else None,
        "title": c.title,
        "description": c.description,
        "customer_requirement": c.customer_requirement,
        "product": c.product.code if c.product else None,
        "site": c.site.code if c.site else None,
        "order_number": c.order.number if c.order else None,
        "shipment_number": c.shipment.number if c.shipment else None,
        "lot": c.lot,
        "ship_date": c.ship_date,
        "warranty_status": c.warranty_status,
        "quantity_affected": c.quantity_affected,
        "category": {"code": c.category.code, "name": c.category.label} if c.category else None,
        "severity": c.severity,
        "urgency": c.urgency,
        "impact_scope": c.impact_scope,
        "safety_risk": c.safety_risk,
        "priority_score": c.priority_score,
        "priority_breakdown": [
            {"factor": r["factor"], "label": r["label"], "value": r["value"], "points": r["points"]}
            for r in presentation.breakdown_display(c.priority_breakdown)
        ],
        "owner": _person(c.owner),
        "department": {"code": c.department.code, "name": str(c.department)} if c.department else None,
        "duplicate_of": c.duplicate_of.number if c.duplicate_of else None,
        "invalid_reason": c.invalid_reason,
        "handling_path": c.handling_path,
        "investigation": c.investigation.number if c.investigation else None,
        "deadlines": deadline_rows(c.deadlines.all(), now=clock.now()),
        "resolution": c.resolution,
        "resolved_at": _utc(c.resolved_at),
        "closed_at": _utc(c.closed_at),
        "reopen_count": c.reopen_count,
        "attachments": [
            {
                "id": a.pk,
                "name": a.original_name,
                "content_type": a.content_type,
                "size": a.size,
                "url": f"/api/v1/complaints/{c.number}/attachments/{a.pk}",
            }
            for a in c.attachments.all()
        ],
        "version": c.version,
        "created_at": _utc(c.created_at),
        "created_by": _person(c.created_by),
    }
