"""One spreadsheet row -> one ComplaintDraft -> the same ``complaint_intake`` every channel uses."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.accounts.models import User
from closeloop.complaints.models import Category, Channel
from closeloop.core.errors import ValidationFailed
from closeloop.intake.drafts import ComplaintDraft, ContactInput
from closeloop.intake.importing.columns import alias
from closeloop.intake.importing.readers import parse_datetime_cell
from closeloop.intake.services import complaint_intake

# Draft fields without a column of their own are reported on the column that caused them.
FIELD_TO_COLUMN = {"contact": "contact_name", "shipment_number": "order_number", "order_line": "order_number"}


def text(row: dict[str, Any], key: str) -> str:
    v = row.get(key, "")
    return "" if v is None else str(v).strip()


def whole_number(value: Any) -> int | None:
    """An int from a cell; -1 for anything that is not a whole number (the services refuse it by name)."""
    if value in ("", None):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        return -1


def category_code(value: str) -> str:
    """A category code as written, or the code of the one active category with that name (中文 or
    English); anything else is passed on for the intake service to refuse by name."""
    if not value or Category.objects.filter(code=value).exists():
        return value
    codes = list(
        Category.objects.filter(Q(name=value) | Q(name_en__iexact=value), is_active=True).values_list(
            "code", flat=True
        )[:2]
    )
    return codes[0] if len(codes) == 1 else value


def complaint_row(row: dict[str, Any], *, actor: User, source: dict[str, Any]) -> bool:
    """Create one complaint from ``row`` (keys are column keys); always True (created) when it returns.

    A naive received time is read in the active time zone (the importer's). Raises ValidationFailed
    naming draft fields, PermissionDenied as complaint_intake does.
    """
    received = row.get("received_at")
    received_at = parse_datetime_cell(received) if received not in ("", None) else None
    if received not in ("", None) and received_at is None:
        raise ValidationFailed(fields={"received_at": [_("Use a date and time like 2026-11-22 14:05.")]})
    if received_at is not None and timezone.is_naive(received_at):
        received_at = timezone.make_aware(received_at)
    contact = None
    if text(row, "contact_name") or text(row, "contact_phone") or text(row, "contact_email"):
        contact = ContactInput(
            name=text(row, "contact_name"),
            phone=text(row, "contact_phone"),
            email=text(row, "contact_email"),
        )
    draft = ComplaintDraft(
        channel=alias("channel", row.get("channel")) or Channel.IMPORT,
        title=text(row, "title"),
        description=text(row, "description"),
        customer=text(row, "customer"),
        contact=contact,
        customer_requirement=text(row, "customer_requirement"),
        product=text(row, "product"),
        site=text(row, "site"),
        order_number=text(row, "order_number"),
        lot=text(row, "lot"),
        quantity_affected=whole_number(row.get("quantity_affected")),
        category=category_code(text(row, "category")),
        severity=alias("severity", row.get("severity")),
        urgency=alias("urgency", row.get("urgency")),
        received_at=received_at,
        source_ref=source,
    )
    complaint_intake(draft=draft, actor=actor)
    return True
