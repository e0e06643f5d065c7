"""Writers of master data (used by the importer; the admin edits the same models directly).

Each ``*_upsert`` validates every field with the model's own validators and raises one
ValidationFailed naming the model fields, creating or updating by the natural key (code/number).
An optional value given as None is left as it is (on create: the model's default), so a spreadsheet
without a column, or with an empty cell, never wipes what is stored.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from closeloop.core.errors import FieldErrors, ValidationFailed
from closeloop.customers.models import (
    Contact,
    Customer,
    CustomerTier,
    Product,
    SalesOrder,
    SalesOrderLine,
    Shipment,
    Site,
)


def _upsert(
    model: type[models.Model], key: dict[str, Any], values: dict[str, Any], errors: FieldErrors | None = None
) -> tuple[Any, bool]:
    """Create or update by ``key``; model validation errors are reported with ``errors`` already found."""
    errors = errors or FieldErrors()
    obj = model._default_manager.select_for_update().filter(**key).first()
    created = obj is None
    if obj is None:
        obj = model(**key)
    for k, v in values.items():
        if v is not None:
            setattr(obj, k, v)
    try:
        obj.full_clean(exclude=list(errors.fields), validate_unique=False)
    except DjangoValidationError as exc:
        for k, msgs in exc.message_dict.items():
            for m in msgs:
                errors.add(k, m)
    errors.raise_if_any()
    obj.save()
    return obj, created


@transaction.atomic
def customer_upsert(
    *,
    code: str,
    name: str | None,
    tier: str = "",
    annual_value: Any = None,
    industry: str | None = None,
    region: str | None = None,
) -> tuple[Customer, bool]:
    errors = FieldErrors()
    if tier and tier not in CustomerTier.values:
        errors.add(
            "tier",
            _("“%(value)s” is not one of: %(choices)s.")
            % {"value": tier, "choices": ", ".join(CustomerTier.values)},
        )
    value: Decimal | None = None
    if annual_value not in (None, ""):
        try:
            value = Decimal(str(annual_value).replace(",", ""))
        except InvalidOperation:
            errors.add("annual_value", _("Give an amount, e.g. 1250000."))
    values: dict[str, Any] = {"name": name, "industry": industry, "region": region, "annual_value": value}
    if tier and "tier" not in errors.fields:
        values["tier"] = tier
    return _upsert(Customer, {"code": code}, values, errors)


@transaction.atomic
def contact_upsert(
    *,
    customer_code: str,
    name: str,
    title: str | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> tuple[Contact, bool]:
    customer = Customer.objects.filter(code=customer_code).first()
    if customer is None:
        raise ValidationFailed(
            fields={"customer": [_("No customer has the code “%(code)s”.") % {"code": customer_code}]}
        )
    return _upsert(
        Contact, {"customer": customer, "name": name}, {"title": title, "phone": phone, "email": email}
    )


def site_for_code(code: str, *, errors: FieldErrors, field: str = "site") -> Site | None:
    """The active site with ``code`` (None for an empty code). An unknown or inactive code is added to
    ``errors`` under ``field`` and gives None. Reads only."""
    code = (code or "").strip()
    if not code:
        return None
    site = Site.objects.filter(code=code).first()
    if site is None:
        errors.add(field, _("No site has the code “%(code)s”.") % {"code": code})
    elif not site.is_active:
        errors.add(field, _("Site %(code)s is inactive.") % {"code": code})
        return None
    return site


@transaction.atomic
def product_upsert(
    *,
    code: str,
    name: str | None,
    family: str | None = None,
    warranty_months: Any = None,
    site: str | None = None,
) -> tuple[Product, bool]:
    """``site`` is the code of the plant that makes the product (None or empty keeps the stored one)."""
    errors = FieldErrors()
    months = None
    if warranty_months not in (None, ""):
        try:
            months = int(warranty_months)
        except (TypeError, ValueError):
            errors.add("warranty_months", _("Give a whole number of months."))
    plant = site_for_code(site or "", errors=errors)
    values: dict[str, Any] = {"name": name, "family": family, "warranty_months": months, "site": plant}
    return _upsert(Product, {"code": code}, values, errors)


@transaction.atomic
def order_line_upsert(
    *,
    number: str,
    customer_code: str,
    order_date: dt.date | None,
    line: int,
    product_code: str,
    quantity: Any,
    lot: str | None = None,
    shipment_number: str = "",
    ship_date: dt.date | None = None,
    carrier: str | None = None,
) -> tuple[SalesOrder, bool]:
    """Create or update one order line (and the order and shipment it names)."""
    errors = FieldErrors()
    customer = Customer.objects.filter(code=customer_code).first()
    if customer is None:
        errors.add("customer", _("No customer has the code “%(code)s”.") % {"code": customer_code})
    product = Product.objects.filter(code=product_code).first()
    if product is None:
        errors.add("product", _("No product has the code “%(code)s”.") % {"code": product_code})
    if order_date is None:
        errors.add("order_date", _("Use a date like 2026-11-22."))
    try:
        qty = int(quantity)
        if qty <= 0:
            raise ValueError
    except (TypeError, ValueError):
        errors.add("quantity", _("The quantity must be a whole number above zero."))
        qty = 0
    if shipment_number and ship_date is None:
        errors.add("ship_date", _("Give the ship date of shipment %(number)s.") % {"number": shipment_number})
    errors.raise_if_any()
    existing = SalesOrder.objects.select_for_update().filter(number=number).first()
    if existing is not None and existing.customer_id != customer.pk:  # type: ignore[union-attr]
        raise ValidationFailed(
            fields={
                "customer": [
                    _("Order %(order)s belongs to customer %(customer)s, not %(code)s.")
                    % {"order": number, "customer": existing.customer.code, "code": customer_code}
                ]
            }
        )
    order, created = _upsert(SalesOrder, {"number": number}, {"customer": customer, "order_date": order_date})
    _upsert(
        SalesOrderLine, {"order": order, "line_no": line}, {"product": product, "quantity": qty, "lot": lot}
    )
    if shipment_number:
        shipment = Shipment.objects.filter(number=shipment_number).first()
        if shipment is not None and shipment.order_id != order.pk:
            raise ValidationFailed(
                fields={
                    "shipment_number": [
                        _("Shipment %(number)s belongs to another order.") % {"number": shipment_number}
                    ]
                }
            )
        _upsert(
            Shipment,
            {"number": shipment_number},
            {"order": order, "ship_date": ship_date, "carrier": carrier},
        )
    return order, created
