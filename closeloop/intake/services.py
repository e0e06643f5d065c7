"""The one entry point for every intake channel: web form, create-from-order, API, import.

``complaint_intake`` validates a :class:`ComplaintDraft` completely (every error names its field),
resolves codes and the sales order, and creates the complaint with its attachments in one
transaction, so a rejected draft leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Choices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from closeloop.accounts.models import User
from closeloop.complaints.attachments import attachment_add, attachment_validate
from closeloop.complaints.creation import ComplaintData, complaint_create, complaint_site_for
from closeloop.complaints.models import (
    Category,
    Channel,
    Complaint,
    ImpactScope,
    Severity,
    Urgency,
)
from closeloop.core import clock
from closeloop.core.errors import FieldErrors, PermissionDenied, ValidationFailed
from closeloop.customers.models import (
    Contact,
    Customer,
    Product,
)
from closeloop.intake.drafts import ComplaintDraft, ContactInput
from closeloop.intake.lookups import (
    DATABASE_LOOKUPS,
    IntakeLookups,
    OrderFacts,
    order_facts,
    warranty_status_for,
)
from closeloop.notifications.imports import ImportDigest

CLOCK_SKEW = dt.timedelta(minutes=5)


@functools.cache
def _values(choices: type[Choices]) -> tuple[str, ...]:
    # ``choices.values`` builds a new list at every read; a choices class never changes.
    return tuple(choices.values)


def _choice(errors: FieldErrors, name: str, value: str, choices: type[Choices], default: str) -> str:
    value = (value or "").strip()
    if not value:
        return default
    values = _values(choices)
    if value not in values:
        errors.add(
            name,
            _("“%(value)s” is not one of: %(choices)s.") % {"value": value, "choices": ", ".join(values)},
        )
        return default
    return value


def _resolve_contact(
    errors: FieldErrors, customer: Customer | None, contact: ContactInput | None, lookups: IntakeLookups
) -> Contact | ContactInput | None:
    if contact is None or customer is None:
        return None
    if contact.id is not None:
        found = lookups.contact_of(contact.id, customer)
        if found is None:
            errors.add(
                "contact",
                _("Contact %(id)s does not belong to customer %(customer)s.")
                % {"id": contact.id, "customer": customer.code},
            )
        return found
    if not (contact.name or contact.phone or contact.email):
        return None
    if not contact.name.strip():
        errors.add("contact", _("Give the contact's name."))
    elif len(contact.name.strip()) > 100:
        errors.add("contact", _("The contact's name is limited to 100 characters."))
    if contact.email:
        try:
            validate_email(contact.email)
        except DjangoValidationError:
            errors.add("contact", _("“%(email)s” is not a valid email address.") % {"email": contact.email})
    if len(contact.phone) > 30:
        errors.add("contact", _("The phone number is too long."))
    phone = contact.phone.strip() if contact.phone else None
    return lookups.contact_like(customer, contact.name.strip(), phone) or contact


def draft_resolve(
    draft: ComplaintDraft, *, actor: User | None, lookups: IntakeLookups = DATABASE_LOOKUPS
) -> tuple[ComplaintData, Any]:
    """Validate ``draft`` and resolve it into ComplaintData and its contact: an existing Contact, a
    ContactInput for a contact still to create, or None. Raises one ValidationFailed listing every bad
    field (PermissionDenied for an owner the actor may not choose). Reads only, through ``lookups``;
    writes nothing.

    The site is the one the draft names (an active site's code), else the product's (see
    ``complaints.creation.complaint_site_for``)."""
    errors = FieldErrors()
    channel = _choice(errors, "channel", draft.channel, Channel, "")
    if not draft.channel:
        errors.add("channel", _("Choose a channel."))
    title = (draft.title or "").strip()
    description = (draft.description or "").strip()
    if not title:
        errors.add("title", _("Give the complaint a title."))
    elif len(title) > 200:
        errors.add("title", _("The title is limited to 200 characters."))
    if not description:
        errors.add("description", _("Describe the problem."))
    received_at = draft.received_at or clock.now()
    if timezone.is_naive(received_at):
        received_at = timezone.make_aware(received_at)
    if received_at > clock.now() + CLOCK_SKEW:
        errors.add("received_at", _("The received time cannot be in the future."))

    facts: OrderFacts | None = None
    order_ref = (draft.order_number or draft.shipment_number or "").strip()
    if order_ref:
        facts = order_facts(
            number=order_ref,
            received_at=received_at,
            product_code=(draft.product or "").strip(),
            line_no=draft.order_line,
            lookups=lookups,
        )
        if facts is None:
            field_name = "order_number" if draft.order_number else "shipment_number"
            errors.add(
                field_name,
                _("No sales order or shipment has the number “%(number)s”.") % {"number": order_ref},
            )
        elif draft.order_line is not None and facts.line is None:
            errors.add(
                "order_line",
                _("Order %(order)s has no line %(line)s.")
                % {"order": facts.order.number, "line": draft.order_line},
            )

    customer: Customer | None = None
    code = (draft.customer or "").strip()
    if code:
        customer = lookups.customer(code)
        if customer is None:
            errors.add("customer", _("No customer has the code “%(code)s”.") % {"code": code})
        elif not customer.is_active:
            errors.add("customer", _("Customer %(code)s is inactive.") % {"code": code})
        elif facts is not None and facts.customer.pk != customer.pk:
            errors.add(
                "order_number",
                _("Order %(order)s belongs to customer %(customer)s, not %(code)s.")
                % {"order": facts.order.number, "customer": facts.customer.code, "code": code},
            )
    elif facts is not None:
        customer = facts.customer
    else:
        errors.add("customer", _("Choose the customer, or give a sales order number."))

    product: Product | None = None
    pcode = (draft.product or "").strip()
    if pcode:
        product = lookups.product(pcode)
        if product is None:
            errors.add("product", _("No product has the code “%(code)s”.") % {"code": pcode})
        elif facts is not None and facts.lines and product.pk not in {ln.product_id for ln in facts.lines}:
            errors.add(
                "product",
                _("Product %(product)s is not on order %(order)s.")
                % {"product": pcode, "order": facts.order.number},
            )
    elif facts is not None and facts.line is not None:
        product = facts.line.product
    site = lookups.site(draft.site, errors)

    category: Category | None = None
    ccode = (draft.category or "").strip()
    if ccode:
        category = lookups.category(ccode)
        if category is None:
            errors.add("category", _("No category has the code “%(code)s”.") % {"code": ccode})

    qty = draft.quantity_affected
    if qty is not None and (not isinstance(qty, int) or isinstance(qty, bool) or qty < 0):
        errors.add("quantity_affected", _("The quantity must be a whole number, zero or more."))
        qty = None
    lot = (draft.lot or "").strip() or (facts.line.lot if facts and facts.line else "")
    if len(lot) > 60:
        errors.add("lot", _("The lot is limited to 60 characters."))

    owner: User | None = None
    if draft.owner:
        owner = lookups.active_user(draft.owner)
        if owner is None:
            errors.add("owner", _("No active user is called “%(name)s”.") % {"name": draft.owner})
        elif actor is None or (owner.pk != actor.pk and not actor.has_perm("complaints.assign_complaint")):
            raise PermissionDenied(
                _("You may not choose the owner."), fields={"owner": [_("You may not choose the owner.")]}
            )

    for att in draft.attachments:
        try:
            attachment_validate(name=att.name, data=att.data)
        except ValidationFailed as exc:
            for msgs in exc.fields.values():
                for m in msgs:
                    errors.add("attachments", m)

    contact = _resolve_contact(errors, customer, draft.contact, lookups)
    if contact is None and draft.contact is None and facts is not None:
        contact = facts.contact
    severity = _choice(errors, "severity", draft.severity, Severity, Severity.GENERAL)
    urgency = _choice(errors, "urgency", draft.urgency, Urgency, Urgency.NORMAL)
    scope = _choice(errors, "impact_scope", draft.impact_scope, ImpactScope, ImpactScope.SINGLE)
    errors.raise_if_any()
    assert customer is not None

    ship_date = facts.ship_date if facts else None
    received_date = timezone.localtime(received_at).date()
    warranty, _until = warranty_status_for(ship_date=ship_date, product=product, received=received_date)
    data = ComplaintData(
        channel=channel,
        received_at=received_at,
        customer=customer,
        title=title,
        description=description,
        customer_requirement=(draft.customer_requirement or "").strip(),
        quantity_affected=qty,
        lot=lot,
        product=product,
        site=complaint_site_for(site=site, product=product),
        order=facts.order if facts else None,
        shipment=facts.shipment if facts else None,
        ship_date=ship_date,
        warranty_status=warranty,
        category=category,
        severity=severity,
        urgency=urgency,
        impact_scope=scope,
        safety_risk=bool(draft.safety_risk),
        owner=owner,
        department=None,
        extra_event_data={"channel": channel, **draft.source_ref},
        import_job=draft.source_ref.get("import_job"),
    )
    return data, contact


@transaction.atomic
def complaint_intake(
    *, draft: ComplaintDraft, actor: User | None, digest: ImportDigest | None = None
) -> Complaint:
    """Validate, resolve and create. All or nothing: on any error nothing is written. With ``digest`` (an
    import's), the people the complaint concerns are counted into it instead of told now.

    Raises ValidationFailed (every bad field named) or PermissionDenied.
    """
    if actor is not None and not actor.has_perm("complaints.add_complaint"):
        raise PermissionDenied()
    data, contact = draft_resolve(draft, actor=actor)
    if isinstance(contact, ContactInput):
        contact = Contact.objects.create(
            customer=data.customer,
            name=contact.name.strip(),
            phone=contact.phone.strip(),
            email=contact.email.strip(),
        )
    data.contact = contact
    complaint = complaint_create(data=data, actor=actor, digest=digest)
    for att in draft.attachments:
        attachment_add(complaint=complaint, actor=actor, name=att.name, data=att.data)
    return complaint
