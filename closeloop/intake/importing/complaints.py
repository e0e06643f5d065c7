"""One spreadsheet row -> one ComplaintDraft, validated and created as ``complaint_intake`` would
(the import runs them in batches through ``intake.bulk.complaint_intake_many``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.complaints.models import Category, Channel
from closeloop.core.errors import ValidationFailed
from closeloop.intake.drafts import ComplaintDraft, ContactInput
from closeloop.intake.importing.columns import alias
from closeloop.intake.importing.readers import parse_datetime_cell

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


class CategoryNames:
    """How a category cell is read: a category code as written, or the code of the one active category
    with that name (中文, or English in any case); anything else is passed on for the intake service to
    refuse by name. The categories are read once, when this is made (once per import job)."""

    def __init__(self) -> None:
        self._codes: set[str] = set()
        self._by_name: dict[str, set[str]] = {}
        self._by_name_en: dict[str, set[str]] = {}
        for code, name, name_en, active in Category.objects.values_list(
            "code", "name", "name_en", "is_active"
        ):
            self._codes.add(code)  # any category's code, active or not: the service words the refusal
            if active:
                self._by_name.setdefault(name, set()).add(code)
                self._by_name_en.setdefault(name_en.upper(), set()).add(code)

    def code(self, value: str) -> str:
        if not value or value in self._codes:
            return value
        codes = self._by_name.get(value, set()) | self._by_name_en.get(value.upper(), set())
        return next(iter(codes)) if len(codes) == 1 else value


def complaint_draft(
    row: dict[str, Any],
    *,
    source: dict[str, Any],
    categories: CategoryNames,
    tz: dt.tzinfo | None = None,
) -> ComplaintDraft:
    """The draft for ``row`` (keys are column keys). A naive received time is read in ``tz``, by default
    the active time zone (the importer's; a caller drafting many rows looks it up once and passes it).
    Raises ValidationFailed naming ``received_at`` for a cell that is not a time."""
    received = row.get("received_at")
    received_at = parse_datetime_cell(received) if received not in ("", None) else None
    if received not in ("", None) and received_at is None:
        raise ValidationFailed(fields={"received_at": [_("Use a date and time like 2026-11-22 14:05.")]})
    if received_at is not None and timezone.is_naive(received_at):
        received_at = timezone.make_aware(received_at, tz)
    contact = None
    if text(row, "contact_name") or text(row, "contact_phone") or text(row, "contact_email"):
        contact = ContactInput(
            name=text(row, "contact_name"),
            phone=text(row, "contact_phone"),
            email=text(row, "contact_email"),
        )
    return ComplaintDraft(
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
        category=categories.code(text(row, "category")),
        severity=alias("severity", row.get("severity")),
        urgency=alias("urgency", row.get("urgency")),
        received_at=received_at,
        source_ref=source,
    )
