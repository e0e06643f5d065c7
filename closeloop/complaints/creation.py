"""Creating a complaint: the resolved values of a new one (:class:`ComplaintData`), the fields, search text
and ``created`` event made from them, and :func:`complaint_create`, which writes it in one transaction
with its event and leaves side effects to ``transaction.on_commit``. The bulk import
(``closeloop.complaints.bulk``) makes its complaints from the same pieces.

Intake channels do not call :func:`complaint_create` directly: they go through
``closeloop.intake.services.complaint_intake``, which validates and resolves a draft first. Later
changes to a complaint are written by ``closeloop.complaints.services`` and ``complaints.handling``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from closeloop.accounts.models import Department, User
from closeloop.complaints import events
from closeloop.complaints.config import assignment_rule_match, priority_weights_current
from closeloop.complaints.events import AUDITED_FIELDS
from closeloop.complaints.models import AssignmentRule, Category, Complaint, PriorityWeights
from closeloop.complaints.numbering import complaint_number_next
from closeloop.complaints.priority import priority_compute, priority_facts
from closeloop.complaints.search import document_join, tokenize, tokenize_parts
from closeloop.core.config_cache import config_pinned
from closeloop.core.insert_one import object_insert
from closeloop.customers.models import Contact, Customer, Product, SalesOrder, Shipment, Site
from closeloop.notifications.imports import ImportDigest, import_digest_add
from closeloop.notifications.rules import notify_complaint_received


@dataclass
class ComplaintData:
    """Resolved, validated values for a new complaint (built by intake)."""

    channel: str
    received_at: dt.datetime
    customer: Customer
    title: str
    description: str
    contact: Contact | None = None
    customer_requirement: str = ""
    quantity_affected: int | None = None
    lot: str = ""
    product: Product | None = None
    site: Site | None = None
    order: SalesOrder | None = None
    shipment: Shipment | None = None
    ship_date: dt.date | None = None
    warranty_status: str = "unknown"
    category: Category | None = None
    severity: str = "general"
    urgency: str = "normal"
    impact_scope: str = "single"
    safety_risk: bool = False
    owner: User | None = None
    department: Department | None = None
    extra_event_data: dict[str, Any] = field(default_factory=dict)
    import_job: int | None = None  # the import job creating it, if any


def complaint_site_for(*, site: Site | None, product: Product | None) -> Site | None:
    """The site (plant) a complaint answers to: ``site`` when there is one, else the product's.

    Intake passes the site the caller named (None when none was given), so an explicit site always
    wins and an empty one is derived from the product. The same rule holds whenever a complaint's
    product changes: pass the complaint's current site, and the site follows the new product only
    while it is empty; a site already set (named by someone, or derived from the earlier product) is
    kept. Moving a complaint to another site is a triage decision (``complaint_triage(site=...)``),
    recorded on the timeline like any other change.
    """
    if site is not None:
        return site
    return product.site if product is not None else None


def complaint_search_parts(complaint: Complaint) -> list[str]:
    """The texts a complaint's ``search_text`` is made of, number first (its related objects loaded)."""
    return [
        complaint.number,
        complaint.title,
        complaint.description,
        complaint.customer_requirement,
        complaint.lot,
        complaint.customer.name,
        complaint.customer.code,
        complaint.product.name if complaint.product else "",
        complaint.product.code if complaint.product else "",
        complaint.order.number if complaint.order else "",
    ]


def complaint_fields(
    *, data: ComplaintData, actor: User | None, rule: AssignmentRule | None, weights: PriorityWeights
) -> dict[str, Any]:
    """The field values (by field name; relations as objects) of the unsaved complaint
    :func:`complaint_create` saves, before its number and search text: ``data``'s fields, the
    assignment and the priority. ``rule`` is what :func:`assignment_rule_match` gives for ``data`` when it
    names neither owner nor department (ignored otherwise). Pure: no query once ``data``'s related
    objects (and an owner's department, a rule's department and owner) are loaded. The bulk import
    (``closeloop.complaints.bulk``) makes its complaints from these values with
    ``core.bulk_insert.instances_make``, at a fraction of the cost of keyword construction."""
    owner, department, assigned_by = data.owner, data.department, None
    if owner is None and department is None:
        if rule is not None:
            assigned_by, department, owner = rule, rule.department, rule.owner
    elif owner is not None and department is None:
        department = owner.department
    # The priority's facts are the data's: the complaint takes them unchanged.
    score, breakdown = priority_compute(priority_facts(data), weights)
    return {
        "channel": data.channel,
        "received_at": data.received_at,
        "customer": data.customer,
        "contact": data.contact,
        "title": data.title,
        "description": data.description,
        "customer_requirement": data.customer_requirement,
        "quantity_affected": data.quantity_affected,
        "lot": data.lot,
        "product": data.product,
        "site": data.site,
        "order": data.order,
        "shipment": data.shipment,
        "ship_date": data.ship_date,
        "warranty_status": data.warranty_status,
        "category": data.category,
        "severity": data.severity,
        "urgency": data.urgency,
        "impact_scope": data.impact_scope,
        "safety_risk": data.safety_risk,
        "priority_score": score,
        "priority_breakdown": breakdown,
        "owner": owner,
        "department": department,
        "assignment_rule": assigned_by,
        "created_by": actor if getattr(actor, "pk", None) else None,
        "import_job_id": data.import_job,
    }


def complaint_created_event(*, complaint: Complaint, data: ComplaintData) -> dict[str, Any]:
    """The ``changes`` and ``data`` of a new complaint's ``created`` event (every audited field that has a
    value, and the assignment rule that applied)."""
    after = events.snapshot(complaint, AUDITED_FIELDS)
    return {
        "changes": [{"field": f, "old": None, "new": v} for f, v in after.items() if v not in (None, "")],
        "data": {
            "rule": complaint.assignment_rule.name if complaint.assignment_rule else None,
            **data.extra_event_data,
        },
    }


# No savepoint of its own: nothing here is caught and retried, so an error rolls back whatever encloses
# it (``complaint_intake``'s transaction or savepoint), which it would have done anyway; outermost, it
# is a transaction as before. Two statements fewer per complaint.
@transaction.atomic(savepoint=False)
def complaint_create(
    *, data: ComplaintData, actor: User | None, digest: ImportDigest | None = None
) -> Complaint:
    """Create a complaint with a fresh number, priority and assignment; write the ``created`` event, and
    tell the people it concerns (``complaint_received``), or count them into ``digest`` (an import's).

    Assignment: an explicit owner/department in ``data`` wins; otherwise the first matching
    assignment rule applies. The configuration (rules, weights, notification rules) is the committed
    one as of the start of the call, checked with one statement (``core.config_cache.config_pinned``).
    Locks the year's number-sequence row until commit. An error leaves the enclosing transaction to be
    rolled back (there is no savepoint to return to).
    """
    with config_pinned():
        rule = None
        if data.owner is None and data.department is None:
            rule = assignment_rule_match(category=data.category, product=data.product, customer=data.customer)
        complaint = Complaint(
            **complaint_fields(data=data, actor=actor, rule=rule, weights=priority_weights_current())
        )
        # Everything that does not need the number is made before it is taken: from then until commit,
        # every other create waits for the year's counter row. Under load that wait, not the work,
        # bounded the creates per second (the search text's cut among it).
        tail = tokenize_parts(complaint_search_parts(complaint)[1:])
        created = complaint_created_event(complaint=complaint, data=data)
        complaint.number = complaint_number_next(when=data.received_at)
        complaint.search_text = document_join([*tokenize(complaint.number), *tail])
        object_insert(complaint)
        events.event_record(complaint=complaint, verb="created", actor=actor, **created)
        if digest is None:
            notify_complaint_received(complaint=complaint, actor=actor)
        else:
            import_digest_add(digest, complaints=[complaint])
    return complaint
