"""客诉台账 — the complaint ledger: one row per complaint with its key fields, each deadline's due time,
when it was met and how (in time, late, missed), the satisfaction score and the reopen count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from closeloop.accounts.models import User
from closeloop.complaints.models import Channel, Complaint, CustomerVerdict, Severity, Urgency
from closeloop.complaints.workflow import HandlingPath, Status
from closeloop.core import clock
from closeloop.investigations.models import Investigation
from closeloop.investigations.workflow import CaseStatus, Step
from closeloop.reports.ledgers.common import (
    CATEGORY_FIELDS,
    CHUNK_SIZE,
    Progress,
    category_label,
    choice_label,
    chunked,
    field_label,
    local_date,
    named,
    no_progress,
    person,
    person_fields,
)
from closeloop.reports.ledgers.filters import ListFilters, filters_describe, ledger_qs
from closeloop.reports.ledgers.xlsx import Column
from closeloop.reports.models import ExportKind
from closeloop.sla.models import Deadline, Target

FIELDS = [
    "id",
    "number",
    "received_at",
    "channel",
    "customer__code",
    "customer__name",
    "product__code",
    "product__name",
    "lot",
    "quantity_affected",
    *CATEGORY_FIELDS,
    "severity",
    "urgency",
    "title",
    "status",
    "handling_path",
    "investigation__number",
    "investigation__current_step",
    "investigation__status",
    *person_fields("owner"),
    "department__name",
    "department__name_en",
    "closed_at",
    "reopen_count",
]


def _field(name: str) -> str:
    return field_label(Complaint, name)


def columns() -> list[Column]:
    """The ledger's columns in the active language (model verbose names where there is one)."""
    cols = [
        Column(_field("number"), width=18),
        Column(_field("received_at"), "datetime", 17),
        Column(_field("channel"), width=10),
        Column(_("Customer code"), width=12),
        Column(_field("customer"), width=24),
        Column(_("Product code"), width=12),
        Column(_field("product"), width=20),
        Column(_field("lot"), width=12),
        Column(_field("quantity_affected"), "int", 10),
        Column(_field("category"), width=20),
        Column(_field("severity"), width=9),
        Column(_field("urgency"), width=9),
        Column(_field("title"), width=36),
        Column(_field("status"), width=14),
        Column(_field("handling_path"), width=12),
        Column(_("8D number"), width=14),
        Column(field_label(Investigation, "current_step"), width=20),
        Column(_field("owner"), width=14),
        Column(_field("department"), width=14),
    ]
    for target in Target:
        cols += [
            Column(_("%(target)s: due") % {"target": target.label}, "datetime", 17),
            Column(_("%(target)s: met") % {"target": target.label}, "datetime", 17),
            Column(_("%(target)s: result") % {"target": target.label}, width=12),
        ]
    cols += [
        Column(_field("closed_at"), "date", 12),
        Column(field_label(CustomerVerdict, "score"), "int", 10),
        Column(_field("reopen_count"), "int", 10),
    ]
    return cols


def deadline_result(d: dict[str, Any], now: dt.datetime) -> str:
    """How a deadline went: met (in time), met late, overdue (missed), or still running (a paused clock
    is running)."""
    if d["met_at"] is not None:
        return _("Met") if d["met_at"] <= d["due_at"] else _("Met late")
    if d["breached_at"] is not None or (d["due_at"] < now and d["paused_at"] is None):
        return _("Overdue")
    return _("Running")


def step_label(row: dict[str, Any]) -> str:
    """The 8D's current step ("D4 Root cause"), or that it is closed / cancelled."""
    if not row.get("investigation__number"):
        return ""
    if row["investigation__status"] != CaseStatus.OPEN:
        return choice_label(CaseStatus, row["investigation__status"])
    return choice_label(Step, row["investigation__current_step"])


def _deadlines(ids: list[int]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for d in Deadline.objects.filter(complaint_id__in=ids).values(
        "complaint_id", "target", "due_at", "met_at", "breached_at", "paused_at"
    ):
        out.setdefault(d["complaint_id"], {})[d["target"]] = d
    return out


def _scores(ids: list[int]) -> dict[int, Any]:
    """The latest satisfaction score per complaint (verdicts in the order they were recorded)."""
    out: dict[int, Any] = {}
    rows = (
        CustomerVerdict.objects.filter(complaint_id__in=ids, score__isnull=False)
        .order_by("recorded_at", "id")
        .values_list("complaint_id", "score")
    )
    for complaint_id, score in rows:
        out[complaint_id] = score
    return out


def count(*, user: User, f: ListFilters) -> int:
    return ledger_qs(user=user, f=f).count()


def rows(
    *, user: User, f: ListFilters, chunk_size: int = CHUNK_SIZE, progress: Progress = no_progress
) -> Iterator[list[Any]]:
    """The ledger's rows, read ``chunk_size`` complaints at a time: per chunk one read of the
    complaints (with customer, product, category, owner, department and 8D joined) and one each of
    their deadlines and verdicts — a constant number of queries per chunk whatever its size."""
    qs: QuerySet[Complaint] = ledger_qs(user=user, f=f)
    now = clock.now()
    targets = list(Target)
    done = 0
    for chunk in chunked(qs.values(*FIELDS).iterator(chunk_size=chunk_size), chunk_size):
        ids = [r["id"] for r in chunk]
        deadlines = _deadlines(ids)
        scores = _scores(ids)
        for r in chunk:
            row = [
                r["number"],
                r["received_at"],
                choice_label(Channel, r["channel"]),
                r["customer__code"],
                r["customer__name"],
                r["product__code"],
                r["product__name"],
                r["lot"],
                r["quantity_affected"],
                category_label(r),
                choice_label(Severity, r["severity"]),
                choice_label(Urgency, r["urgency"]),
                r["title"],
                choice_label(Status, r["status"]),
                choice_label(HandlingPath, r["handling_path"]),
                r["investigation__number"],
                step_label(r),
                person(r, "owner"),
                named(r, "department"),
            ]
            own = deadlines.get(r["id"], {})
            for target in targets:
                d = own.get(target.value)
                row += [d["due_at"], d["met_at"], deadline_result(d, now)] if d else [None, None, None]
            row += [local_date(r["closed_at"]), scores.get(r["id"]), r["reopen_count"]]
            yield row
        done += len(chunk)
        progress(done)


def title() -> str:
    return str(ExportKind.LEDGER.label)


def file_stem() -> str:
    return _("complaint-ledger")


def describe(*, user: User, f: ListFilters) -> str:
    return filters_describe(f)
