"""客户投诉预防措施报告表 — per complaint, what was done so it does not happen again: its preventive and
horizontal-deployment actions (its own and its 8D's), the 8D's D7 document changes with their
revisions, the state and dates of each, and whether and when the customer was told (the latest
handling report sent to them, and their answer)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from closeloop.accounts.models import User
from closeloop.actions.models import Action
from closeloop.actions.workflow import ActionKind, ActionStatus
from closeloop.complaints.models import Complaint
from closeloop.investigations.content import DOC_TYPES
from closeloop.investigations.models import Discipline
from closeloop.investigations.workflow import Step, StepStatus
from closeloop.reports.ledgers.common import (
    CHUNK_SIZE,
    Progress,
    choice_label,
    chunked,
    field_label,
    named,
    no_progress,
    person,
    person_fields,
)
from closeloop.reports.ledgers.filters import ListFilters, filters_describe, ledger_qs
from closeloop.reports.ledgers.xlsx import Column
from closeloop.reports.models import ExportKind, HandlingReport, HandlingReportStatus

PREVENTIVE_KINDS = [ActionKind.PREVENTIVE.value, ActionKind.HORIZONTAL.value]
SENT_STATUSES = [HandlingReportStatus.SENT, HandlingReportStatus.ACCEPTED, HandlingReportStatus.REJECTED]
FIELDS = [
    "id",
    "number",
    "received_at",
    "customer__name",
    "product__name",
    "title",
    "investigation_id",
    "investigation__number",
]
ACTION_FIELDS = [
    "id",
    "complaint_id",
    "investigation_id",
    "kind",
    "title",
    *person_fields("owner"),
    "department__name",
    "department__name_en",
    "status",
    "due_date",
    "done_at",
    "verified_at",
]


def columns() -> list[Column]:
    return [
        Column(field_label(Complaint, "number"), width=18),
        Column(field_label(Complaint, "received_at"), "date", 12),
        Column(field_label(Complaint, "customer"), width=22),
        Column(field_label(Complaint, "product"), width=18),
        Column(field_label(Complaint, "title"), width=30),
        Column(_("8D number"), width=14),
        Column(field_label(Action, "kind"), width=16),
        Column(_("Preventive measure"), width=36),
        Column(_("Revision"), width=14),
        Column(field_label(Action, "owner"), width=14),
        Column(field_label(Action, "department"), width=14),
        Column(field_label(Action, "status"), width=12),
        Column(field_label(Action, "due_date"), "date", 12),
        Column(field_label(Action, "done_at"), "date", 12),
        Column(field_label(Action, "verified_at"), "date", 12),
        Column(_("Sent to the customer"), width=10),
        Column(field_label(HandlingReport, "sent_at"), "datetime", 17),
        Column(field_label(HandlingReport, "sent_to"), width=24),
        Column(_("Customer's answer"), width=20),
        Column(field_label(HandlingReport, "answered_at"), "datetime", 17),
        Column(field_label(HandlingReport, "prevention"), width=40),
    ]


def _qs(*, user: User, f: ListFilters) -> QuerySet[Complaint]:
    """Complaints of the list that have prevention to report: on an 8D (D7 is part of it) or with a
    preventive / horizontal-deployment action of their own."""
    own = Action.objects.filter(complaint_id=OuterRef("pk"), kind__in=PREVENTIVE_KINDS)
    return ledger_qs(user=user, f=f).filter(Q(investigation__isnull=False) | Exists(own))


def _actions(ids: list[int], inv_ids: list[int]) -> tuple[dict[int, list[dict]], dict[int, list[dict]]]:
    by_complaint: dict[int, list[dict]] = {}
    by_case: dict[int, list[dict]] = {}
    found = (
        Action.objects.filter(kind__in=PREVENTIVE_KINDS)
        .filter(Q(complaint_id__in=ids) | Q(investigation_id__in=inv_ids))
        .order_by("kind", "due_date", "id")
        .values(*ACTION_FIELDS)
    )
    for a in found:
        by_complaint.setdefault(a["complaint_id"], []).append(a)
        if a["investigation_id"]:
            by_case.setdefault(a["investigation_id"], []).append(a)
    return by_complaint, by_case


def _d7(inv_ids: list[int]) -> dict[int, Any]:
    return {
        d["investigation_id"]: d
        for d in Discipline.objects.filter(investigation_id__in=inv_ids, step=Step.D7).values(
            "investigation_id", "content", "status"
        )
    }


def _reports(ids: list[int]) -> dict[int, Any]:
    """The latest version of each complaint's handling report that went to the customer."""
    out: dict[int, Any] = {}
    found = (
        HandlingReport.objects.filter(complaint_id__in=ids, status__in=SENT_STATUSES)
        .order_by("complaint_id", "-version")
        .values(
            "complaint_id",
            "status",
            "sent_at",
            "sent_to",
            "sent_to_name",
            "answered_at",
            "answer_reason",
            "prevention",
        )
    )
    for r in found:
        out.setdefault(r["complaint_id"], r)
    return out


def _items(own: list[dict], case: list[dict], d7: dict[str, Any] | None) -> list[list[Any]]:
    """The prevention rows of one complaint: actions, then D7 document changes."""
    items: list[list[Any]] = []
    seen: set[int] = set()
    for a in [*own, *case]:
        if a["id"] in seen:
            continue
        seen.add(a["id"])
        items.append(
            [
                choice_label(ActionKind, a["kind"]),
                a["title"],
                "",
                person(a, "owner"),
                named(a, "department"),
                choice_label(ActionStatus, a["status"]),
                a["due_date"],
                a["done_at"],
                a["verified_at"],
            ]
        )
    changes = (d7 or {}).get("content", {}).get("changes") or []
    for ch in changes if isinstance(changes, list) else []:
        if not isinstance(ch, dict) or not (ch.get("document") or ch.get("new_revision")):
            continue
        doc_type = str(DOC_TYPES.get(ch.get("doc_type", ""), DOC_TYPES["other"]))
        old, new = ch.get("old_revision") or "", ch.get("new_revision") or ""
        items.append(
            [
                _("Document change"),
                f"{doc_type}: {ch.get('document') or ''}",
                f"{old} → {new}" if old else new,
                "",
                "",
                choice_label(StepStatus, (d7 or {}).get("status")),
                None,
                None,
                None,
            ]
        )
    if not items:
        items.append(["", _("No preventive measure recorded yet."), "", "", "", "", None, None, None])
    return items


def _told(report: dict[str, Any] | None) -> list[Any]:
    if report is None:
        return [_("No"), None, "", "", None, ""]
    to = " ".join(
        p for p in (report["sent_to_name"], f"<{report['sent_to']}>" if report["sent_to"] else "") if p
    )
    answer = (
        ""
        if report["status"] == HandlingReportStatus.SENT
        else choice_label(HandlingReportStatus, report["status"])
    )
    if report["status"] == HandlingReportStatus.REJECTED and report["answer_reason"]:
        answer = f"{answer}: {report['answer_reason']}"
    return [_("Yes"), report["sent_at"], to, answer, report["answered_at"], report["prevention"]]


def count(*, user: User, f: ListFilters) -> int:
    return _qs(user=user, f=f).count()


def rows(
    *, user: User, f: ListFilters, chunk_size: int = CHUNK_SIZE, progress: Progress = no_progress
) -> Iterator[list[Any]]:
    """Per chunk of complaints: one read of them, one of their actions (own and their 8Ds'), one of
    their 8Ds' D7 steps and one of their handling reports."""
    done = 0
    for chunk in chunked(_qs(user=user, f=f).values(*FIELDS).iterator(chunk_size=chunk_size), chunk_size):
        ids = [c["id"] for c in chunk]
        inv_ids = sorted({c["investigation_id"] for c in chunk if c["investigation_id"]})
        by_complaint, by_case = _actions(ids, inv_ids)
        d7 = _d7(inv_ids)
        reports = _reports(ids)
        for c in chunk:
            head = [
                c["number"],
                c["received_at"],
                c["customer__name"],
                c["product__name"],
                c["title"],
                c["investigation__number"],
            ]
            case_id = c["investigation_id"]
            told = _told(reports.get(c["id"]))
            for item in _items(
                by_complaint.get(c["id"], []), by_case.get(case_id, []) if case_id else [], d7.get(case_id)
            ):
                yield [*head, *item, *told]
        done += len(chunk)
        progress(done)


def title() -> str:
    return str(ExportKind.PREVENTIVE.label)


def file_stem() -> str:
    return _("preventive-actions")


def describe(*, user: User, f: ListFilters) -> str:
    return filters_describe(f)
