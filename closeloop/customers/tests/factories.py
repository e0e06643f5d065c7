"""Deterministic builders for master data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from closeloop.customers.models import Contact, Customer, Product, SalesOrder, SalesOrderLine, Shipment, Site


def customer_make(
    code: str = "C001",
    name: str = "华东机电有限公司",
    *,
    tier: str = "normal",
    annual_value: Decimal | int = 0,
    **extra: object,
) -> Customer:
    return Customer.objects.create(
        code=code, name=name, tier=tier, annual_value=Decimal(annual_value), **extra
    )  # type: ignore[arg-type]


def contact_make(
    customer: Customer, name: str = "王经理", phone: str = "13812345678", email: str = "wang@example.com"
) -> Contact:
    return Contact.objects.create(customer=customer, name=name, phone=phone, email=email)


def site_make(
    code: str = "SZ", name: str = "深圳工厂", *, name_en: str = "Shenzhen plant", is_active: bool = True
) -> Site:
    return Site.objects.create(code=code, name=name, name_en=name_en, is_active=is_active)


def product_make(
    code: str = "P001",
    name: str = "十字螺丝刀",
    *,
    family: str = "hand-tools",
    warranty_months: int = 12,
    site: Site | None = None,
) -> Product:
    return Product.objects.create(
        code=code, name=name, family=family, warranty_months=warranty_months, site=site
    )


def order_make(
    number: str,
    customer: Customer,
    lines: list[tuple[Product, int, str]],
    *,
    order_date: dt.date = dt.date(2026, 5, 5),
    ship_date: dt.date | None = dt.date(2026, 5, 10),
    shipment_number: str | None = None,
    contact: Contact | None = None,
    carrier: str = "顺丰速运",
) -> SalesOrder:
    order = SalesOrder.objects.create(
        number=number, customer=customer, order_date=order_date, contact=contact
    )
    for i, (product, qty, lot) in enumerate(lines, start=1):
        SalesOrderLine.objects.create(order=order, line_no=i, product=product, quantity=qty, lot=lot)
    if ship_date is not None:
        Shipment.objects.create(
            number=shipment_number or f"SH-{number}", order=order, ship_date=ship_date, carrier=carrier
        )
    return order
