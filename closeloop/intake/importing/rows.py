"""Turn one spreadsheet row into a call of the same service the other channels use."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.accounts.models import User
from closeloop.core.errors import ValidationFailed
from closeloop.customers import services as crm
from closeloop.intake.drafts import ComplaintDraft, ContactInput
from closeloop.intake.importing.columns import alias
from closeloop.intake.importing.readers import parse_date_cell, parse_datetime_cell
from closeloop.intake.services import complaint_intake

# Errors about a field that has no column of its own are reported on the column that caused them.
FIELD_TO_COLUMN = {"contact": "contact_name", "shipment_number": "order_number", "order_line": "order_number"}


def _text(row: dict[str, Any], key: str) -> str:
    v = row.get(key, "")
    return "" if v is None else str(v).strip()


def _int_or_text(value: Any) -> Any:
    if value in ("", None):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return -1  # reported by the service as "must be a whole number"


def complaint_row(row: dict[str, Any], *, actor: User, source: dict[str, Any]) -> bool:
    """Create one complaint from ``row`` (keys are column keys). Returns True (created)."""
    received = row.get("received_at")
    received_at = parse_datetime_cell(received) if received not in ("", None) else None
    if received not in ("", None) and received_at is None:
        raise ValidationFailed(fields={"received_at": [_("Use a date and time like 2026-11-22 14:05.")]})
    if received_at is not None and timezone.is_naive(received_at):
        received_at = timezone.make_aware(received_at)
    contact = None
    if _text(row, "contact_name") or _text(row, "contact_phone") or _text(row, "contact_email"):
        contact = ContactInput(
            name=_text(row, "contact_name"),
            phone=_text(row, "contact_phone"),
            email=_text(row, "contact_email"),
        )
    draft = ComplaintDraft(
        channel=alias("channel", row.get("channel")) or "import",
        title=_text(row, "title"),
        description=_text(row, "description"),
        customer=_text(row, "customer"),
        contact=contact,
        customer_requirement=_text(row, "customer_requirement"),
        product=_text(row, "product"),
        order_number=_text(row, "order_number"),
        lot=_text(row, "lot"),
        quantity_affected=_int_or_text(row.get("quantity_affected")),
        category=_text(row, "category"),
        severity=alias("severity", row.get("severity")),
        urgency=alias("urgency", row.get("urgency")),
        received_at=received_at,
        source_ref=source,
    )
    complaint_intake(draft=draft, actor=actor)
    return True


def customer_row(row: dict[str, Any], **_: Any) -> bool:
    _obj, created = crm.customer_upsert(
        code=_text(row, "code"),
        name=_text(row, "name"),
        tier=alias("tier", row.get("tier")),
        annual_value=row.get("annual_value"),
        industry=_text(row, "industry"),
        region=_text(row, "region"),
    )
    return created


def contact_row(row: dict[str, Any], **_: Any) -> bool:
    _obj, created = crm.contact_upsert(
        customer_code=_text(row, "customer"),
        name=_text(row, "name"),
        title=_text(row, "title"),
        phone=_text(row, "phone"),
        email=_text(row, "email"),
    )
    return created


def product_row(row: dict[str, Any], **_: Any) -> bool:
    _obj, created = crm.product_upsert(
        code=_text(row, "code"),
        name=_text(row, "name"),
        family=_text(row, "family"),
        warranty_months=row.get("warranty_months"),
    )
    return created


def order_row(row: dict[str, Any], **_: Any) -> bool:
    line = _int_or_text(row.get("line")) or 1
    _obj, created = crm.order_line_upsert(
        number=_text(row, "number"),
        customer_code=_text(row, "customer"),
        order_date=parse_date_cell(row.get("order_date")),
        line=max(int(line), 1),
        product_code=_text(row, "product"),
        quantity=row.get("quantity"),
        lot=_text(row, "lot"),
        shipment_number=_text(row, "shipment_number"),
        ship_date=parse_date_cell(row.get("ship_date")),
        carrier=_text(row, "carrier"),
    )
    return created


HANDLERS = {
    "complaints": complaint_row,
    "customers": customer_row,
    "contacts": contact_row,
    "products": product_row,
    "orders": order_row,
}
# Model field names used in master-data errors -> the import column key.
MODEL_FIELD_TO_COLUMN = {"line_no": "line", "product": "product", "customer": "customer"}
