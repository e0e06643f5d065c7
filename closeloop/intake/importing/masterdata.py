"""Master-data rows (customers, contacts, products, order lines) -> the CRM upsert services.

A column that is absent, or a cell left empty, is passed as None: the stored value is kept (on
create, the model's default). Each upsert runs in its own transaction; the caller wraps every row
in one more, so a bad row leaves nothing behind.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from closeloop.core.errors import ValidationFailed
from closeloop.customers import services as crm
from closeloop.intake.importing.columns import alias
from closeloop.intake.importing.complaints import text, whole_number
from closeloop.intake.importing.readers import parse_date_cell

# Model field names in the CRM services' errors -> the import column key.
FIELD_TO_COLUMN = {"line_no": "line", "number": "number", "order": "number"}


def _opt(row: dict[str, Any], key: str) -> str | None:
    return text(row, key) or None


def _date(row: dict[str, Any], key: str) -> Any:
    """A date, None for an empty cell; raises ValidationFailed(key) for a cell that is not a date."""
    raw = row.get(key)
    if raw in ("", None):
        return None
    parsed = parse_date_cell(raw)
    if parsed is None:
        raise ValidationFailed(fields={key: [_("Use a date like 2026-11-22.")]})
    return parsed


def customer_row(row: dict[str, Any], **_kw: Any) -> bool:
    _obj, created = crm.customer_upsert(
        code=text(row, "code"),
        name=_opt(row, "name"),
        tier=alias("tier", row.get("tier")),
        annual_value=row.get("annual_value"),
        industry=_opt(row, "industry"),
        region=_opt(row, "region"),
    )
    return created


def contact_row(row: dict[str, Any], **_kw: Any) -> bool:
    _obj, created = crm.contact_upsert(
        customer_code=text(row, "customer"),
        name=text(row, "name"),
        title=_opt(row, "title"),
        phone=_opt(row, "phone"),
        email=_opt(row, "email"),
    )
    return created


def product_row(row: dict[str, Any], **_kw: Any) -> bool:
    _obj, created = crm.product_upsert(
        code=text(row, "code"),
        name=_opt(row, "name"),
        family=_opt(row, "family"),
        warranty_months=row.get("warranty_months"),
        site=_opt(row, "site"),
    )
    return created


def order_row(row: dict[str, Any], **_kw: Any) -> bool:
    """One order line, and the order and shipment it names. Returns True when the order is new."""
    line = whole_number(row.get("line"))
    if line is not None and line < 1:
        raise ValidationFailed(fields={"line": [_("The line number must be a whole number from 1.")]})
    order_date = _date(row, "order_date")
    ship_date = _date(row, "ship_date")
    _obj, created = crm.order_line_upsert(
        number=text(row, "number"),
        customer_code=text(row, "customer"),
        order_date=order_date,
        line=line or 1,
        product_code=text(row, "product"),
        quantity=row.get("quantity"),
        lot=_opt(row, "lot"),
        shipment_number=text(row, "shipment_number"),
        ship_date=ship_date,
        carrier=_opt(row, "carrier"),
    )
    return created
