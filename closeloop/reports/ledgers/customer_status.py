"""客户投诉处理状况表 — one customer's complaints: those still in progress first (oldest first), at which
step (the quick resolution's state or the 8D's D-step), then those closed; with owner and days open."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from closeloop.accounts.models import User
from closeloop.complaints.models import Complaint, Severity
from closeloop.complaints.workflow import OPEN_STATUSES, HandlingPath, Status
from closeloop.core import clock
from closeloop.reports.ledgers.common import (
    CATEGORY_FIELDS,
    CHUNK_SIZE,
    Progress,
    category_label,
    choice_label,
    chunked,
    field_label,
    local_date,
    no_progress,
    person,
    person_fields,
)
from closeloop.reports.ledgers.complaint_ledger import step_label
from closeloop.reports.ledgers.filters import ListFilters, customer_for_report, filters_describe, ledger_qs
from closeloop.reports.ledgers.xlsx import Column
from closeloop.reports.models import ExportKind

FIELDS = [
    "id",
    "number",
    "received_at",
    "title",
    "product__name",
    "lot",
    "quantity_affected",
    *CATEGORY_FIELDS,
    "severity",
    "status",
    "handling_path",
    "investigation__number",
    "investigation__current_step",
    "investigation__status",
    *person_fields("owner"),
    "closed_at",
]
OPEN = [s.value for s in OPEN_STATUSES]


def _field(name: str) -> str:
    return field_label(Complaint, name)


def columns() -> list[Column]:
    return [
        Column(_field("number"), width=18),
        Column(_field("received_at"), "datetime", 17),
        Column(_field("title"), width=36),
        Column(_field("product"), width=20),
        Column(_field("lot"), width=12),
        Column(_field("quantity_affected"), "int", 10),
        Column(_field("category"), width=20),
        Column(_field("severity"), width=9),
        Column(_field("status"), width=16),
        Column(_("Where it stands"), width=26),
        Column(_("8D number"), width=14),
        Column(_field("owner"), width=14),
        Column(_("Days open"), "int", 10),
        Column(_field("closed_at"), "date", 12),
    ]


def _qs(*, user: User, f: ListFilters) -> QuerySet[Complaint]:
    # In progress first, oldest first within each group: the order the customer's questions come in.
    rank = Case(When(status__in=OPEN, then=Value(0)), default=Value(1), output_field=IntegerField())
    return ledger_qs(user=user, f=f).annotate(_open_rank=rank).order_by("_open_rank", "received_at", "pk")


def stage(row: dict[str, Any]) -> str:
    """Where a complaint stands: its 8D and D-step on the full-8D path; the quick resolution's state
    on the quick path; the status alone before a path is chosen."""
    status = choice_label(Status, row["status"])
    if row.get("investigation__number"):
        return f"{row['investigation__number']} · {step_label(row)}"
    if row["handling_path"] == HandlingPath.QUICK:
        return f"{choice_label(HandlingPath, row['handling_path'])} · {status}"
    return status


def days_open(row: dict[str, Any], today: Any) -> int | None:
    """Calendar days from receipt to today (open) or to closure (closed); none for invalid/duplicate."""
    received = timezone.localtime(row["received_at"]).date()
    if row["status"] in OPEN:
        return (today - received).days
    closed = local_date(row["closed_at"])
    return (closed - received).days if closed else None


def count(*, user: User, f: ListFilters) -> int:
    return ledger_qs(user=user, f=f).count()


def rows(
    *, user: User, f: ListFilters, chunk_size: int = CHUNK_SIZE, progress: Progress = no_progress
) -> Iterator[list[Any]]:
    """One query per chunk of complaints (everything shown is joined in)."""
    today = timezone.localtime(clock.now()).date()
    done = 0
    for chunk in chunked(_qs(user=user, f=f).values(*FIELDS).iterator(chunk_size=chunk_size), chunk_size):
        for r in chunk:
            yield [
                r["number"],
                r["received_at"],
                r["title"],
                r["product__name"],
                r["lot"],
                r["quantity_affected"],
                category_label(r),
                choice_label(Severity, r["severity"]),
                choice_label(Status, r["status"]),
                stage(r),
                r["investigation__number"],
                person(r, "owner"),
                days_open(r, today),
                local_date(r["closed_at"]),
            ]
        done += len(chunk)
        progress(done)


def title() -> str:
    return str(ExportKind.CUSTOMER_STATUS.label)


def file_stem() -> str:
    return _("customer-complaint-status")


def describe(*, user: User, f: ListFilters) -> str:
    """The customer, how many of its complaints are in progress and closed, and the other filters."""
    customer = customer_for_report(user=user, code=f.customer)
    counts = ledger_qs(user=user, f=f).aggregate(
        open=Count("pk", filter=Q(status__in=OPEN)), closed=Count("pk", filter=Q(status=Status.CLOSED))
    )
    who = f"{customer.code} {customer.name}" if customer else f.customer
    summary = _("%(open)s in progress, %(closed)s closed") % counts
    return " · ".join(p for p in (who, summary, filters_describe(f)) if p)
