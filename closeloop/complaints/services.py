"""The only writers of complaints. Each function runs in one transaction, writes its event(s) in
that transaction, and leaves side effects to ``transaction.on_commit``.

Intake channels do not call :func:`complaint_create` directly: they go through
``closeloop.intake.services.complaint_intake``, which validates and resolves a draft first.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import Department, User
from closeloop.complaints import events
from closeloop.complaints.config import assignment_rule_match, priority_weights_current
from closeloop.complaints.models import (
    AssignmentRule,
    Category,
    Complaint,
    PriorityWeights,
)
from closeloop.complaints.numbering import complaint_number_next
from closeloop.complaints.priority import PriorityInput, priority_compute
from closeloop.complaints.search import document_join, tokenize, tokenize_parts
from closeloop.complaints.workflow import FINAL_STATUSES, HandlingPath, Status, check_transition
from closeloop.core import clock
from closeloop.core.config_cache import config_pinned
from closeloop.core.errors import (
    ApplicationError,
    Conflict,
    FieldErrors,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationFailed,
)
from closeloop.core.insert_one import object_insert
from closeloop.customers.models import Contact, Customer, Product, SalesOrder, Shipment, Site
from closeloop.notifications.imports import ImportDigest, import_digest_add
from closeloop.notifications.rules import (
    notify_complaint_accepted,
    notify_complaint_assigned,
    notify_complaint_received,
    notify_complaint_rejected,
)
from closeloop.sla.services import deadlines_plan

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
TRIAGE_FIELDS = ["category", "severity", "urgency", "impact_scope", "safety_risk"]


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


class Keep(enum.Enum):
    """Marks an optional argument the caller leaves as it is (None would clear it)."""

    KEEP = "keep"


KEEP = Keep.KEEP


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


def _priority_facts(complaint: Complaint | ComplaintData) -> PriorityInput:
    return PriorityInput(
        severity=complaint.severity,
        urgency=complaint.urgency,
        customer_tier=complaint.customer.tier,
        customer_annual_value=complaint.customer.annual_value,
        safety_risk=complaint.safety_risk,
        impact_scope=complaint.impact_scope,
    )


def _apply_priority(complaint: Complaint, weights: PriorityWeights | None = None) -> None:
    complaint.priority_score, complaint.priority_breakdown = priority_compute(
        _priority_facts(complaint), weights or priority_weights_current()
    )


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
    score, breakdown = priority_compute(_priority_facts(data), weights)
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


def complaint_lock(complaint: Complaint, expected_version: int | None) -> Complaint:
    """Re-read the complaint under a row lock; refuse when the caller edited an older version."""
    locked = (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("customer", "product", "site", "order", "category")
        .get(pk=complaint.pk)
    )
    if expected_version is not None and locked.version != expected_version:
        raise Conflict(extra={"current_version": locked.version})
    return locked


@transaction.atomic
def complaint_triage(
    *,
    complaint: Complaint,
    actor: User,
    expected_version: int | None = None,
    category: Category | None,
    severity: str,
    urgency: str,
    impact_scope: str,
    safety_risk: bool,
    owner: User | None = None,
    department: Department | None = None,
    reassign: bool = False,
    handling_path: str | None = None,
    site: Site | Keep | None = KEEP,
) -> Complaint:
    """Set the triage facts, recompute the priority, and (if ``reassign``) set owner/department.
    ``handling_path`` ("quick" or "8d") records how the complaint will be handled; starting the handling
    then follows it unless told otherwise (None keeps what was chosen before, "" clears it).
    ``site`` moves the complaint to another plant (None clears it; KEEP, the default, keeps it); a
    site newly chosen must be active.

    Moves ``new`` to ``triaged``; a triaged complaint can be triaged again. Locks the complaint row.
    The first move from ``new`` accepts the complaint and notifies (see
    ``notifications.rules.notify_complaint_accepted``); a newly assigned owner is notified too.
    Raises PermissionDenied, Conflict (stale version), TransitionNotAllowed, ValidationFailed.
    """
    if not actor.has_perm("complaints.triage_complaint"):
        raise PermissionDenied()
    c = complaint_lock(complaint, expected_version)
    check_transition(c.status, Status.TRIAGED)
    accepted_now = c.status == Status.NEW and c.triaged_at is None
    owner_before = c.owner_id
    errors = FieldErrors()
    if category is None:
        errors.add("category", _("Choose a category."))
    if handling_path and handling_path not in HandlingPath.values:
        errors.add("handling_path", _("Choose how the complaint is handled."))
    if isinstance(site, Site) and site.pk != c.site_id and not site.is_active:
        errors.add("site", _("Site %(code)s is inactive.") % {"code": site.code})
    errors.raise_if_any()
    before = events.snapshot(c, AUDITED_FIELDS)
    if handling_path is not None:
        c.handling_path = handling_path
    if not isinstance(site, Keep):
        c.site = site
    c.category, c.severity, c.urgency = category, severity, urgency
    c.impact_scope, c.safety_risk = impact_scope, safety_risk
    if reassign:
        _set_assignment(c, actor=actor, owner=owner, department=department)
    _apply_priority(c)
    c.status = Status.TRIAGED
    if c.triaged_at is None:
        c.triaged_at = clock.now()
    c.version += 1
    c.save()
    events.event_record(
        complaint=c,
        verb="triaged",
        actor=actor,
        changes=events.diff(before, events.snapshot(c, AUDITED_FIELDS)),
    )
    deadlines_plan(complaint=c)
    if accepted_now:
        notify_complaint_accepted(complaint=c, actor=actor)
    if c.owner_id is not None and c.owner_id != owner_before:
        notify_complaint_assigned(complaint=c, actor=actor)
    return c


def _set_assignment(c: Complaint, *, actor: User, owner: User | None, department: Department | None) -> None:
    if owner is not None and owner.pk != actor.pk and not actor.has_perm("complaints.assign_complaint"):
        raise PermissionDenied(
            _("You may only assign complaints to yourself."),
            fields={"owner": [_("You may only assign complaints to yourself.")]},
        )
    if owner is not None and not owner.is_active:
        raise ValidationFailed(fields={"owner": [_("This user is not active.")]})
    c.owner = owner
    c.department = department or (owner.department if owner else None)


@transaction.atomic
def complaint_assign(
    *,
    complaint: Complaint,
    actor: User,
    owner: User | None,
    department: Department | None = None,
    expected_version: int | None = None,
) -> Complaint:
    """Override the owner/department chosen on intake; a newly assigned owner is notified. Locks the
    complaint row."""
    if not (actor.has_perm("complaints.assign_complaint") or actor.has_perm("complaints.triage_complaint")):
        raise PermissionDenied()
    c = complaint_lock(complaint, expected_version)
    owner_before = c.owner_id
    if c.status in FINAL_STATUSES:
        raise TransitionNotAllowed(
            _("A complaint that is “%(status)s” can no longer be reassigned.")
            % {"status": Status(c.status).label}
        )
    before = events.snapshot(c, AUDITED_FIELDS)
    _set_assignment(c, actor=actor, owner=owner, department=department)
    c.version += 1
    c.save()
    events.event_record(
        complaint=c,
        verb="assigned",
        actor=actor,
        changes=events.diff(before, events.snapshot(c, AUDITED_FIELDS)),
    )
    if c.owner_id is not None and c.owner_id != owner_before:
        notify_complaint_assigned(complaint=c, actor=actor)
    return c


@transaction.atomic
def complaint_mark_invalid(
    *, complaint: Complaint, actor: User, reason: str, expected_version: int | None = None
) -> Complaint:
    """Reject a complaint as invalid; the reason is kept and will be told to the customer."""
    if not actor.has_perm("complaints.triage_complaint"):
        raise PermissionDenied()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(fields={"reason": [_("Say why the complaint is invalid.")]})
    c = complaint_lock(complaint, expected_version)
    check_transition(c.status, Status.REJECTED)
    before = events.snapshot(c, AUDITED_FIELDS)
    c.status = Status.REJECTED
    c.invalid_reason = reason
    c.version += 1
    c.save()
    events.event_record(
        complaint=c,
        verb="marked_invalid",
        actor=actor,
        note=reason,
        changes=events.diff(before, events.snapshot(c, AUDITED_FIELDS)),
    )
    notify_complaint_rejected(complaint=c, actor=actor)
    return c


@transaction.atomic
def complaint_mark_duplicate(
    *, complaint: Complaint, actor: User, original: Complaint, expected_version: int | None = None
) -> Complaint:
    """Link ``complaint`` to ``original`` as its duplicate (nothing is deleted). Both get an event.

    Refuses self-links and chains: a complaint already merged cannot be the original. Locks both
    complaint rows (in primary-key order).
    """
    if not actor.has_perm("complaints.triage_complaint"):
        raise PermissionDenied()
    if original.pk == complaint.pk:
        raise ValidationFailed(fields={"duplicate_of": [_("A complaint cannot duplicate itself.")]})
    # Lock both rows in primary-key order (two opposite merges cannot deadlock), then read the
    # original's current state: the caller's instance may be stale.
    list(
        Complaint.objects.select_for_update(of=("self",))
        .filter(pk__in=[complaint.pk, original.pk])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    original = Complaint.objects.get(pk=original.pk)
    if original.status == Status.MERGED:
        raise ValidationFailed(
            fields={
                "duplicate_of": [
                    _("%(number)s is itself a duplicate; link to its original instead.")
                    % {"number": original.number}
                ]
            }
        )
    c = complaint_lock(complaint, expected_version)
    check_transition(c.status, Status.MERGED)
    before = events.snapshot(c, AUDITED_FIELDS)
    c.status = Status.MERGED
    c.duplicate_of = original
    c.version += 1
    c.save()
    events.event_record(
        complaint=c,
        verb="marked_duplicate",
        actor=actor,
        changes=events.diff(before, events.snapshot(c, AUDITED_FIELDS)),
        data={"original": original.number},
    )
    events.event_record(
        complaint=original, verb="duplicate_linked", actor=actor, data={"duplicate": c.number}
    )
    return c


@transaction.atomic
def attachments_add(*, complaint: Complaint, actor: User, files: list[tuple[str, bytes]]) -> list[Any]:
    """Add several attachments at once: all are validated first, so one bad file stores none."""
    from closeloop.complaints.attachments import attachment_add, attachment_validate

    if not actor.has_perm("complaints.add_attachment"):
        raise PermissionDenied()
    errors = FieldErrors()
    for name, data in files:
        try:
            attachment_validate(name=name, data=data)
        except ValidationFailed as exc:
            for msgs in exc.fields.values():
                for m in msgs:
                    errors.add("attachments", m)
    errors.raise_if_any()
    return [attachment_add(complaint=complaint, actor=actor, name=n, data=d) for n, d in files]


def complaint_bulk_assign(
    *, actor: User, complaints: list[Complaint], owner: User | None
) -> tuple[list[Complaint], dict[str, str]]:
    """Assign each complaint to ``owner`` (None unassigns), each in its own transaction, so one that
    cannot be reassigned (closed, merged) does not hold back the others. Returns (assigned, {number:
    reason}) for the refused ones."""
    done: list[Complaint] = []
    refused: dict[str, str] = {}
    for c in complaints:
        try:
            done.append(complaint_assign(complaint=c, actor=actor, owner=owner))
        except ApplicationError as exc:
            refused[c.number] = str(exc.message)
    return done, refused
