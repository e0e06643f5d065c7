"""What intake looks up while it resolves a draft: the customer, product, site, category, contact and
sales order or shipment a draft names (:class:`IntakeLookups`, one query each; the bulk import answers
the same questions from rows read once per batch), and the facts an order implies — customer, line,
ship date, warranty (:func:`order_facts`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from closeloop.accounts.models import User
from closeloop.complaints.models import Category, WarrantyStatus
from closeloop.core import clock
from closeloop.core.db import PreparedQuery
from closeloop.core.errors import FieldErrors
from closeloop.customers.models import (
    Contact,
    Customer,
    Product,
    SalesOrder,
    SalesOrderLine,
    Shipment,
    Site,
    warranty_end,
)
from closeloop.customers.services import site_for_code


@dataclass
class OrderFacts:
    """What a sales order (or shipment) number implies for a new complaint."""

    order: SalesOrder
    shipment: Shipment | None
    customer: Customer
    contact: Contact | None
    lines: list[SalesOrderLine]
    line: SalesOrderLine | None
    ship_date: dt.date | None
    warranty_status: str
    warranty_until: dt.date | None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-friendly description, used by the form's auto-fill and the API."""
        return {
            "order_number": self.order.number,
            "shipment_number": self.shipment.number if self.shipment else "",
            "customer": self.customer.code,
            "customer_name": self.customer.name,
            "contact": self.contact.pk if self.contact else None,
            "contact_name": self.contact.name if self.contact else "",
            "lines": [
                {
                    "line": ln.line_no,
                    "product": ln.product.code,
                    "product_name": ln.product.name,
                    "quantity": ln.quantity,
                    "lot": ln.lot,
                }
                for ln in self.lines
            ],
            "product": self.line.product.code if self.line else "",
            "product_name": self.line.product.name if self.line else "",
            "lot": self.line.lot if self.line else "",
            "order_line": self.line.line_no if self.line else None,
            "ship_date": self.ship_date.isoformat() if self.ship_date else None,
            "carrier": self.shipment.carrier if self.shipment else "",
            "warranty_status": self.warranty_status,
            "warranty_until": self.warranty_until.isoformat() if self.warranty_until else None,
        }


def warranty_status_for(
    *, ship_date: dt.date | None, product: Product | None, received: dt.date
) -> tuple[str, dt.date | None]:
    """In warranty when the received date is on or before the warranty's last day."""
    if ship_date is None or product is None:
        return WarrantyStatus.UNKNOWN, None
    until = warranty_end(ship_date, product.warranty_months)
    return (WarrantyStatus.IN if received <= until else WarrantyStatus.OUT), until


@dataclass
class OrderRef:
    """A sales order found by its own number or by one of its shipments' numbers."""

    order: SalesOrder  # its customer and contact loaded
    shipment: Shipment | None  # the shipment named, else the order's latest (by ship date, then id)
    lines: list[SalesOrderLine]  # by line number, with their products (and the products' sites)


# Every draft reads its customer: compiled once (core.db.PreparedQuery), the lookup costs a sixth of the
# CPU it did.
_CUSTOMER_BY_CODE = PreparedQuery(lambda code: Customer.objects.filter(code=code), samples=("\0code",))


class IntakeLookups:
    """Every read :func:`draft_resolve` makes, one query each: what the form, the API and a single import
    row use. The bulk import answers the same questions from rows read once for a whole batch
    (``closeloop.intake.bulk.BatchLookups``); both must give the same answer to the same question."""

    def customer(self, code: str) -> Customer | None:
        return _CUSTOMER_BY_CODE.first(code)

    def product(self, code: str) -> Product | None:
        # With its site: the complaint's site is the product's unless the draft names one.
        return Product.objects.select_related("site").filter(code=code).first()

    def site(self, code: str, errors: FieldErrors) -> Site | None:
        """As ``customers.services.site_for_code``: an unknown or inactive code is added to ``errors``."""
        return site_for_code(code, errors=errors)

    def category(self, code: str) -> Category | None:
        """The active category with ``code``, with its parent: assignment rules, deadline policies and
        notification rules read its lineage, and the tree is two levels deep."""
        return Category.objects.select_related("parent").filter(code=code, is_active=True).first()

    def active_user(self, username: str) -> User | None:
        # With the department an owner gives the complaint.
        return User.objects.select_related("department").filter(username=username, is_active=True).first()

    def order_ref(self, number: str) -> OrderRef | None:
        """A shipment's number wins over an order's when both exist."""
        shipment = (
            Shipment.objects.select_related("order__customer", "order__contact").filter(number=number).first()
        )
        if shipment is not None:
            order = shipment.order
        else:
            found = SalesOrder.objects.select_related("customer", "contact").filter(number=number).first()
            if found is None:
                return None
            order, shipment = found, found.shipments.order_by("-ship_date", "-id").first()
        lines = list(order.lines.select_related("product__site").order_by("line_no"))
        return OrderRef(order=order, shipment=shipment, lines=lines)

    def contact_of(self, contact_id: int, customer: Customer) -> Contact | None:
        """The contact ``contact_id`` when it belongs to ``customer``."""
        return Contact.objects.filter(pk=contact_id, customer=customer).first()

    def contact_like(self, customer: Customer, name: str, phone: str | None) -> Contact | None:
        """The customer's oldest contact called ``name`` (with ``phone`` when given)."""
        existing = Contact.objects.filter(customer=customer, name=name)
        if phone is not None:
            existing = existing.filter(phone=phone)
        # By id: the model orders by name, and two contacts of one name would otherwise tie.
        return existing.order_by("pk").first()


DATABASE_LOOKUPS = IntakeLookups()


def order_facts(
    *,
    number: str,
    received_at: dt.datetime | None = None,
    product_code: str = "",
    line_no: int | None = None,
    lookups: IntakeLookups = DATABASE_LOOKUPS,
) -> OrderFacts | None:
    """Resolve a sales order number or a shipment number; None when neither exists.

    The line is chosen by ``line_no``, else by ``product_code``, else the only line. The ship date
    is the given shipment's, else the order's latest shipment.
    """
    number = (number or "").strip()
    if not number:
        return None
    ref = lookups.order_ref(number)
    if ref is None:
        return None
    order, shipment, lines = ref.order, ref.shipment, ref.lines
    line = None
    if line_no is not None:
        line = next((ln for ln in lines if ln.line_no == line_no), None)
    elif product_code:
        line = next((ln for ln in lines if ln.product.code == product_code), None)
    elif len(lines) == 1:
        line = lines[0]
    ship_date = shipment.ship_date if shipment else None
    received = timezone.localtime(received_at or clock.now()).date()
    status, until = warranty_status_for(
        ship_date=ship_date, product=line.product if line else None, received=received
    )
    return OrderFacts(
        order=order,
        shipment=shipment,
        customer=order.customer,
        contact=order.contact,
        lines=lines,
        line=line,
        ship_date=ship_date,
        warranty_status=status,
        warranty_until=until,
    )
